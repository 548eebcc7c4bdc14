"""Token-level policy losses: PPO-clip, KL to a frozen reference, entropy, and their aggregation.

All tensors are ``[rows, tokens]`` over response tokens, with ``mask`` 1 on real response
tokens and 0 on padding. Advantages may be per row ``[rows]`` or per token ``[rows, tokens]``.

``LOSSES`` is the registry ``algorithm.loss`` picks from: a registered loss maps a
:class:`LossBatch` to :class:`LossTerms`; other packages add theirs through the entry-point
group ``agora.losses``. EPO's entropy terms (training.epo) apply on top of whichever is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from agents.logprobs import entropy
from training.registry import LossSpec, Registry

AGG_MODES = ("token-mean", "seq-mean-token-mean", "seq-mean-token-sum")
KL_KINDS = ("k1", "k3", "low_var_kl")
LOG_RATIO_LIMIT = 20.0  # exp(20) ~ 5e8: keeps a ratio finite when logprobs disagree wildly


def aggregate(values: torch.Tensor, mask: torch.Tensor, mode: str = "token-mean") -> torch.Tensor:
    """Reduce a ``[rows, tokens]`` loss to a scalar over the masked tokens.

    token-mean: every response token in the batch counts once (long responses weigh more).
    seq-mean-token-mean: mean per row, then mean over rows that have any token.
    seq-mean-token-sum: sum per row, then mean over rows that have any token.
    An all-padding batch gives 0 (still connected to the graph).
    """
    if mode not in AGG_MODES:
        raise ValueError(f"loss aggregation must be one of {AGG_MODES}, got {mode!r}")
    if values.shape != mask.shape:
        raise ValueError(f"values {tuple(values.shape)} and mask {tuple(mask.shape)} differ in shape")
    mask = mask.to(values.dtype)
    masked = values * mask
    if mode == "token-mean":
        return masked.sum() / mask.sum().clamp(min=1.0)
    tokens = mask.sum(dim=-1)
    per_row = masked.sum(dim=-1)
    if mode == "seq-mean-token-mean":
        per_row = per_row / tokens.clamp(min=1.0)
    has_tokens = (tokens > 0).to(values.dtype)
    return (per_row * has_tokens).sum() / has_tokens.sum().clamp(min=1.0)


def entropy_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """Per-position entropy of softmax(logits); logits of -inf (banned tokens) add nothing."""
    return entropy(torch.log_softmax(logits, dim=-1))


def _token_advantages(advantages: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    if advantages.dim() == 1:
        advantages = advantages.unsqueeze(-1)
    return advantages.to(like.dtype).expand_as(like)


@dataclass
class PolicyLoss:
    loss: torch.Tensor
    clip_fraction: torch.Tensor  # share of tokens whose ratio left the trust region (either side)
    dual_clip_fraction: torch.Tensor  # share of tokens where the dual clip bound the loss
    approx_kl: torch.Tensor  # mean of (old - new) log-prob: k1 estimate of KL(old || new)


def ppo_clip_loss(
    logprobs: torch.Tensor,
    old_logprobs: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    clip: float = 0.2,
    clip_high: float | None = None,
    dual_clip: float | None = None,
    agg_mode: str = "token-mean",
) -> PolicyLoss:
    """PPO clipped surrogate per token: max(-A r, -A clip(r, 1 - clip, 1 + clip_high)).

    ``clip_high`` defaults to ``clip`` (set it higher for DAPO's clip-higher). ``dual_clip``
    c > 1 bounds the loss of negative-advantage tokens at -A c (Ye et al., 2020), so a huge
    ratio on a bad token cannot blow up the update. A token whose clipped term wins has zero
    gradient.
    """
    if clip <= 0:
        raise ValueError(f"clip must be > 0, got {clip}")
    clip_high = clip if clip_high is None else clip_high
    if dual_clip is not None and dual_clip <= 1.0:
        raise ValueError(f"dual_clip must be > 1, got {dual_clip}")
    adv = _token_advantages(advantages, logprobs)
    log_ratio = (logprobs - old_logprobs).clamp(-LOG_RATIO_LIMIT, LOG_RATIO_LIMIT)
    ratio = torch.exp(log_ratio)
    unclipped = -adv * ratio
    clipped = -adv * ratio.clamp(1.0 - clip, 1.0 + clip_high)
    per_token = torch.maximum(unclipped, clipped)
    m = mask.to(logprobs.dtype)
    dual_bound = torch.zeros_like(per_token, dtype=torch.bool)
    if dual_clip is not None:
        bound = -adv * dual_clip
        dual_bound = (adv < 0) & (per_token > bound)
        per_token = torch.where(dual_bound, bound, per_token)
    with torch.no_grad():
        clip_fraction = aggregate((clipped > unclipped).to(m.dtype), m)
        dual_clip_fraction = aggregate(dual_bound.to(m.dtype), m)
        approx_kl = aggregate(-log_ratio, m)
    return PolicyLoss(aggregate(per_token, m, agg_mode), clip_fraction, dual_clip_fraction, approx_kl)


def kl_divergence(logprobs: torch.Tensor, ref_logprobs: torch.Tensor, kind: str = "low_var_kl") -> torch.Tensor:
    """Per-token estimate of KL(policy || reference) from sampled-token log-probs.

    k1: log p - log q (unbiased, high variance, can be negative).
    k3: q/p - log(q/p) - 1 (unbiased, never negative; Schulman's "approximating KL").
    low_var_kl: k3 clamped to [-10, 10], as verl uses it for its KL loss.
    """
    if kind not in KL_KINDS:
        raise ValueError(f"kl kind must be one of {KL_KINDS}, got {kind!r}")
    diff = logprobs - ref_logprobs
    if kind == "k1":
        return diff
    log_q_over_p = (-diff).clamp(-LOG_RATIO_LIMIT, LOG_RATIO_LIMIT)
    k3 = torch.exp(log_q_over_p) - log_q_over_p - 1.0
    return k3.clamp(-10.0, 10.0) if kind == "low_var_kl" else k3


def kl_loss(
    logprobs: torch.Tensor,
    ref_logprobs: torch.Tensor,
    mask: torch.Tensor,
    coef: float,
    kind: str = "low_var_kl",
    agg_mode: str = "token-mean",
) -> torch.Tensor:
    """coef * aggregated KL to the frozen reference (the reference log-probs carry no gradient)."""
    return coef * aggregate(kl_divergence(logprobs, ref_logprobs.detach(), kind), mask, agg_mode)


def entropy_bonus(
    token_entropy: torch.Tensor, mask: torch.Tensor, coef: float, agg_mode: str = "token-mean"
) -> torch.Tensor:
    """The loss term -coef * aggregated entropy: minimising it raises entropy."""
    return -coef * aggregate(token_entropy, mask, agg_mode)


# --- the registered policy losses ---------------------------------------------------------------


@dataclass
class LossBatch:
    """What the trainer hands a registered loss for one micro-batch."""

    logprobs: torch.Tensor  # [rows, tokens] of the policy being trained (carries the gradient)
    old_logprobs: torch.Tensor  # of the policy that sampled the rows
    advantages: torch.Tensor  # [rows]
    mask: torch.Tensor
    entropy: torch.Tensor  # per-token entropy of the policy being trained
    ref_logprobs: torch.Tensor | None  # of the frozen reference; None unless algorithm.kl_coef > 0


@dataclass
class LossTerms:
    loss: torch.Tensor  # what the optimizer minimises
    policy_loss: torch.Tensor  # the surrogate term alone, for the logs
    approx_kl: torch.Tensor  # mean (old - new) log-prob over the batch
    clip_fraction: torch.Tensor = field(default_factory=lambda: torch.zeros(()))  # a loss that does not clip clips nothing
    ref_kl: torch.Tensor = field(default_factory=lambda: torch.zeros(()))  # token-mean KL to the reference, 0 without one


def ppo_clip_policy_loss(
    batch: LossBatch,
    clip: float = 0.2,
    clip_high: float | None = None,
    dual_clip: float | None = None,
    agg_mode: str = "token-mean",
    kl_coef: float = 0.0,
    kl_type: str = "low_var_kl",
    entropy_coef: float = 0.0,
) -> LossTerms:
    """PPO-clip, plus kl_coef x KL to the reference when there is one, minus entropy_coef x entropy."""
    mask = batch.mask
    pl = ppo_clip_loss(batch.logprobs, batch.old_logprobs, batch.advantages, mask, clip, clip_high, dual_clip, agg_mode)
    loss = pl.loss
    ref_kl = torch.zeros(())
    if batch.ref_logprobs is not None:
        ref_kl = aggregate(kl_divergence(batch.logprobs, batch.ref_logprobs, kl_type), mask).detach()
        loss = loss + kl_loss(batch.logprobs, batch.ref_logprobs, mask, kl_coef, kl_type, agg_mode)
    if entropy_coef:
        loss = loss + entropy_bonus(batch.entropy, mask, entropy_coef, agg_mode)
    return LossTerms(loss, pl.loss.detach(), pl.approx_kl, pl.clip_fraction, ref_kl)


LOSSES = Registry("loss", "agora.losses", LossSpec)
LOSSES.register(LossSpec(
    "ppo_clip", ppo_clip_policy_loss,
    {"algorithm.clip": "clip", "algorithm.clip_high": "clip_high", "algorithm.dual_clip": "dual_clip",
     "algorithm.loss_agg": "agg_mode", "algorithm.kl_coef": "kl_coef", "algorithm.kl_type": "kl_type",
     "algorithm.entropy_coef": "entropy_coef"},
    doc="token-level PPO-clip (dual clip, clip-higher) with optional KL to a reference and an entropy bonus",
))
