"""The distribution a token is drawn from, defined once for every sampler and scorer.

``processed_logprobs`` is what the ``hf`` sampler draws from, what ``response_logprobs`` and the
tiny policy score with, and what vLLM reports with ``logprobs_mode="processed_logprobs"``:

    greedy (T < 1e-5):  log_softmax(logits)
    otherwise:          logits / T, then top-p (the smallest set of tokens whose probability
                        reaches top_p, at least one), renormalised: log_softmax of that.

``entropy`` is that distribution's entropy. Importing this module imports torch.
"""

from __future__ import annotations

import torch

from agents.backends.base import GREEDY_TEMPERATURE


def _per_row(value, like: torch.Tensor) -> torch.Tensor:
    """A number, or one value per row (first dim), shaped to broadcast over ``like``."""
    return torch.as_tensor(value, dtype=like.dtype, device=like.device).reshape((-1,) + (1,) * (like.dim() - 1))


def processed_logprobs(logits: torch.Tensor, temperature, top_p=1.0) -> torch.Tensor:
    """Log-probs (float32, same shape as ``logits``) of the distribution sampling draws from.

    ``temperature`` and ``top_p`` are numbers, or 1-D tensors with one value per row of
    ``logits`` (the tiny policy scores each stored step at the temperature it was sampled at).
    """
    logits = logits.float()
    temperature = _per_row(temperature, logits)
    greedy = temperature < GREEDY_TEMPERATURE
    logits = logits / torch.where(greedy, torch.ones_like(temperature), temperature)
    cut = _per_row(1 - top_p, logits)  # each row drops the tokens whose cumulative mass stays within this
    cut = torch.where(greedy, torch.zeros_like(cut), cut)
    if bool((cut > 0).any()):
        # Same rule as vLLM and transformers' TopPLogitsWarper: sort ascending, drop the tokens
        # whose cumulative probability stays within 1 - top_p, always keep the most likely one.
        sorted_logits, order = torch.sort(logits, dim=-1)
        cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
        drop_sorted = cumulative <= cut
        drop_sorted[..., -1] = False
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    return torch.log_softmax(logits, dim=-1)


def entropy(logprobs: torch.Tensor) -> torch.Tensor:
    """Entropy over the last dim of a distribution given by its log-probs.

    Tokens cut by top-p have log-prob -inf and probability 0: they add 0, not 0 * inf = nan.
    """
    probs = logprobs.exp()
    return -(probs * logprobs.masked_fill(probs == 0, 0.0)).sum(dim=-1)
