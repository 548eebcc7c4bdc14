"""The candidate-scoring action head: an LLM policy over the admissible actions, so a small model
cannot fail on format.

Each admissible action ``a`` is rendered as the reply the agent would write, ``<action>a</action>``
and the end-of-turn token (:func:`candidate_replies`). The policy is the softmax, at the rollout
temperature (and top-p), over the candidates' **length-normalised** log-likelihoods given the
prompt: the mean token log-prob of each reply. Summed log-likelihoods would favour short actions
("look") over long ones ("take mug 1 from countertop 2") for no reason but their length.

One shared prompt prefix: the prompt, plus the reply tokens every candidate starts with (their
longest common prefix, e.g. ``<action>``, which would add the same log-prob to every candidate),
runs through the model once; the candidates' remaining tokens then run as one batch on that
prefix's KV cache. The candidates' normalised log-likelihood is taken over those remaining tokens.
Token log-probs are the model's plain ``log_softmax`` (temperature 1): the temperature acts on the
candidate distribution, not inside each reply. Differentiable (the trainer calls it with gradients).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from agents.backends.hf import _accepts_logits_to_keep
from agents.logprobs import entropy, processed_logprobs

HEAD = "score_candidates"  # the value of ``extra["action_head"]`` on the rows this head sampled


def candidate_replies(tokenizer, actions: Sequence[str], end_id: int) -> list[list[int]]:
    """The reply token ids of each admissible action: ``<action>a</action>`` then ``end_id``."""
    return [tokenizer(f"<action>{a}</action>", add_special_tokens=False).input_ids + [end_id] for a in actions]


def shared_prefix_length(rows: Sequence[Sequence[int]]) -> int:
    """The length of the longest common prefix of ``rows``, leaving every row at least one token."""
    limit = min(len(r) for r in rows) - 1
    n = 0
    while n < limit and all(r[n] == rows[0][n] for r in rows):
        n += 1
    return n


def _last_logits_only(model) -> dict:
    return {"logits_to_keep": 1} if _accepts_logits_to_keep(model) else {}


def candidate_logliks(model, prompt_ids: Sequence[int], candidates: Sequence[Sequence[int]], pad_id: int) -> torch.Tensor:
    """``[C]``: each candidate reply's mean token log-likelihood after the prompt and the shared prefix."""
    if not candidates:
        raise ValueError("no candidates to score")
    device = next(model.parameters()).device
    n = shared_prefix_length(candidates)
    prefix = torch.tensor([[*prompt_ids, *candidates[0][:n]]], device=device)
    out = model(input_ids=prefix, use_cache=True, **_last_logits_only(model))
    first = torch.log_softmax(out.logits[0, -1].float(), dim=-1)  # predicts each suffix's first token
    suffixes = [list(c[n:]) for c in candidates]
    count, width, p_len = len(suffixes), max(len(s) for s in suffixes), prefix.shape[1]
    ids = torch.full((count, width), pad_id, dtype=torch.long)
    mask = torch.zeros(count, width)
    for i, s in enumerate(suffixes):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1.0
    ids, mask = ids.to(device), mask.to(device)
    cache = out.past_key_values
    cache.batch_repeat_interleave(count)  # the prefix's keys and values, once per candidate
    attention = torch.cat([torch.ones(count, p_len, device=device), mask], dim=1).long()
    positions = (p_len + torch.arange(width, device=device)).expand(count, -1)
    logits = model(input_ids=ids, attention_mask=attention, position_ids=positions, past_key_values=cache, use_cache=True).logits
    # Suffix token j >= 1 is predicted by the logits at suffix position j - 1 (right padding: the
    # causal mask keeps pads from touching the real tokens before them).
    rest = torch.log_softmax(logits[:, :-1].float(), dim=-1).gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
    total = first[ids[:, 0]] + (rest * mask[:, 1:]).sum(dim=1)
    return total / mask.sum(dim=1)


def candidate_policy(
    model, prompt_ids: Sequence[int], candidates: Sequence[Sequence[int]], pad_id: int, temperature: float, top_p: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(logprobs [C], entropy)`` of the head's distribution over one decision's candidates."""
    scores = candidate_logliks(model, prompt_ids, candidates, pad_id)
    logprobs = processed_logprobs(scores.unsqueeze(0), temperature, top_p)[0]
    return logprobs, entropy(logprobs)
