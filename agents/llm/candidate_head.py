"""The candidate-scoring action head: an LLM policy over the admissible actions, so a small model
cannot fail on format.

Each admissible action ``a`` is rendered as the reply the agent would write, ``<action>a</action>``
and the end-of-turn token (:func:`candidate_replies`). The policy is the softmax, at the rollout
temperature (and top-p), over the candidates' **length-normalised** log-likelihoods given the
prompt: the mean token log-prob of each reply. Summed log-likelihoods would favour short actions
("look") over long ones ("take mug 1 from countertop 2") for no reason but their length.

One shared prompt prefix: the prompt, plus the reply tokens every candidate starts with (their
longest common prefix, e.g. ``<action>``, which would add the same log-prob to every candidate),
is followed by every candidate's remaining tokens in ONE packed sequence, with an attention mask
that lets each candidate see the prefix and itself only, and position ids that restart after the
prefix for each candidate. So the prefix is computed (and, with gradients, stored) once: memory
and compute grow with prompt + sum of candidate lengths, not candidates x prompt (a KV cache
repeated per candidate needed ~1 GB per scored row with gradients on household prompts). The
candidates' normalised log-likelihood is taken over those remaining tokens.
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


def candidate_logliks(model, prompt_ids: Sequence[int], candidates: Sequence[Sequence[int]], pad_id: int) -> torch.Tensor:
    """``[C]``: each candidate reply's mean token log-likelihood after the prompt and the shared prefix."""
    if not candidates:
        raise ValueError("no candidates to score")
    param = next(model.parameters())
    n = shared_prefix_length(candidates)
    prefix = [*prompt_ids, *candidates[0][:n]]
    suffixes = [list(c[n:]) for c in candidates]
    p_len, lengths = len(prefix), [len(s) for s in suffixes]
    total = p_len + sum(lengths)
    ids = torch.tensor([prefix + [t for s in suffixes for t in s]], device=param.device)
    block = torch.repeat_interleave(torch.arange(len(suffixes)), torch.tensor(lengths))  # candidate of each suffix token
    owner = torch.cat([torch.full((p_len,), -1), block]).to(param.device)  # -1: the shared prefix
    offsets = torch.cat([torch.arange(L) for L in lengths])
    positions = torch.cat([torch.arange(p_len), p_len + offsets]).to(param.device).unsqueeze(0)
    # Causal, and a candidate's tokens see the prefix and their own earlier tokens, never another candidate's.
    causal = torch.ones(total, total, dtype=torch.bool, device=param.device).tril()
    visible = causal & ((owner.unsqueeze(0) == -1) | (owner.unsqueeze(0) == owner.unsqueeze(1)))
    mask = torch.zeros(1, 1, total, total, dtype=param.dtype, device=param.device)
    mask = mask.masked_fill(~visible, torch.finfo(param.dtype).min)
    kwargs = {"logits_to_keep": total - p_len + 1} if _accepts_logits_to_keep(model) else {}
    logits = model(input_ids=ids, attention_mask=mask, position_ids=positions, **kwargs).logits[0, -(total - p_len + 1) :]
    logprobs = torch.log_softmax(logits.float(), dim=-1)  # row r predicts the token after position p_len - 1 + r
    targets = ids[0, p_len:]
    # A candidate's first token follows the prefix's last position; each later one follows its own previous token.
    starts = torch.cumsum(torch.tensor([0, *lengths[:-1]]), 0)
    source = torch.arange(total - p_len)  # row k predicts suffix token k, unless k opens a candidate
    source[starts] = 0
    picked = logprobs[source.to(param.device), targets]
    sums = torch.zeros(len(suffixes), device=param.device).index_add(0, block.to(param.device), picked)
    return sums / torch.tensor(lengths, device=param.device, dtype=sums.dtype)


def candidate_policy(
    model, prompt_ids: Sequence[int], candidates: Sequence[Sequence[int]], pad_id: int, temperature: float, top_p: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(logprobs [C], entropy)`` of the head's distribution over one decision's candidates."""
    scores = candidate_logliks(model, prompt_ids, candidates, pad_id)
    logprobs = processed_logprobs(scores.unsqueeze(0), temperature, top_p)[0]
    return logprobs, entropy(logprobs)
