"""HGPO (Hierarchy-of-Groups Policy Optimization): step advantages from context-consistent groups.

A stepwise agent sees only the last K turns (its memory window), so two steps with the same
current observation may have been taken under different prompts. HGPO puts each step into
a hierarchy of groups: for k = 1 .. min(K+1, t+1), the steps of the same task group whose
last k raw observations (ending at the current one) are identical. Deeper groups share
more context (less bias) but are smaller (more variance); the per-group advantages are
combined with weights that grow with k.

Conventions follow the reference code (verl-agent recipe/hgpo, ``core_hgpo.py``): k counts
observations, so k = 1 is GiGPO's anchor-state group and a weight is (k + 1) ** alpha.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np

from training.advantages.steps import as_batch, check_mode, discounted_returns, episode_advantages, normalise


def hgpo_advantages(
    rows: Any,
    memory_window: int,
    gamma: float = 0.95,
    alpha: float = 1.0,
    mode: str = "mean_std_norm",
    base_group: bool = False,
    invalid_penalty: float = 0.1,
    epsilon: float = 1e-6,
) -> np.ndarray:
    """One advantage per row.

    ``memory_window`` is K, the number of past turns the prompt shows (it must match the
    prompt builder). Each group with more than one member normalises its discounted returns
    with the mean and population std (``mean_std_norm``) or the mean only (``mean_norm``).
    Per step, the items whose advantage is 0 are dropped (a group of tied returns says
    nothing; ``steps.normalise`` decides ties within a tolerance, not by float equality), the
    rest are weighted by (k+1)^alpha normalised to sum 1 and summed; a step with no item left
    gets 0.

    ``base_group=True`` adds the episode-level advantage as an item with k = 0 (weight 1),
    its statistics over step rows as in the reference code.
    """
    check_mode(mode)
    if isinstance(memory_window, bool) or not isinstance(memory_window, int) or memory_window < 0:
        raise ValueError(f"memory_window must be an int >= 0, got {memory_window!r}")
    batch = as_batch(rows)
    returns = discounted_returns(batch, gamma, invalid_penalty)

    groups: dict[tuple, list[int]] = defaultdict(list)
    for members in batch.trajectories:
        history = [batch.obs[i] for i in members]
        group = batch.group_ids[members[0]]
        for t, row in enumerate(members):
            for k in range(1, min(memory_window + 1, t + 1) + 1):
                groups[(group, k, tuple(history[t - k + 1 : t + 1]))].append(int(row))

    items: list[list[tuple[int, float]]] = [[] for _ in range(len(batch))]
    if base_group:
        base = episode_advantages(batch, mode, "step", epsilon)
        for i in range(len(batch)):
            items[i].append((0, float(base[i])))
    for (_, k, _), members in groups.items():
        if len(members) > 1:
            for row, value in zip(members, normalise(returns[members], mode, epsilon, ddof=0)):
                items[row].append((k, float(value)))

    advantages = np.zeros(len(batch), dtype=np.float64)
    for i, row_items in enumerate(items):
        # one item per k, taken in k order and summed exactly: the result ignores the row order
        kept = sorted((k, a) for k, a in row_items if a != 0.0)
        if kept:
            weights = [(k + 1.0) ** alpha for k, _ in kept]
            # the reference code divides by (sum + epsilon); we normalise to exactly 1 (< 1e-6 relative apart)
            advantages[i] = math.fsum(w * a for w, (_, a) in zip(weights, kept)) / math.fsum(weights)
    return advantages
