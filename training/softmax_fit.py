"""Full-batch ascent of a linear softmax policy on enumerated groups (HILA's and Maestro's small policies).

Each group is one decision state with every candidate action enumerated once: ``features[g, a]``
is candidate ``a``'s feature vector and ``advantages[g, a]`` its advantage. The policy is
``pi(a|g) = softmax_a(features[g, a] . theta)``; a group's gradient of ``sum_a pi(a|g) A_a`` is
``sum_a pi(a|g) A_a grad log pi(a|g)``, the exact policy gradient at that state, so repeated
epochs over one batch need no importance ratio.
"""

from __future__ import annotations

import numpy as np


def fit_softmax(theta: np.ndarray, features: np.ndarray, advantages: np.ndarray, valid: np.ndarray,
                scale: np.ndarray, epochs: int, lr: float) -> None:
    """``epochs`` steps of ``theta += lr * grad / scale`` in place.

    ``features`` is ``[G, A, P]``, ``advantages`` and ``valid`` (False pads a group with fewer
    candidates) ``[G, A]``, ``scale`` ``[P]``: how many groups each parameter's gradient is averaged
    over (the callers' parameters are blocks that only their own groups touch).
    """
    for _ in range(epochs):
        logits = np.where(valid, features @ theta, -np.inf)
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        weighted = p * advantages
        grad_logits = weighted - p * weighted.sum(axis=1, keepdims=True)  # d(sum_a p_a A_a)/d logit
        theta += lr * np.einsum("ga,gap->p", grad_logits, features) / scale
