"""A third-party advantage estimator: RLOO, REINFORCE with a leave-one-out baseline.

Kool et al. (2019), "Buy 4 REINFORCE samples, get a baseline for free!"; Ahmadian et al.
(2024) use it for LLMs. A trajectory's score is its total reward; its baseline is the mean
score of the *other* trajectories of its task group, so the baseline never contains the
sample it judges. Every step row of a trajectory gets the trajectory's advantage, and
nothing is divided by a std.
"""

from collections import defaultdict

import numpy as np

from training.advantages.steps import as_batch, episode_scores, normalise
from training.registry import EstimatorSpec


def rloo_advantages(rows) -> np.ndarray:
    """One advantage per row: s_i - mean(s_j, j != i) over the task group; 0 for a lone trajectory."""
    batch = as_batch(rows)
    scores = episode_scores(batch)
    by_group = defaultdict(list)
    for trajectory, group in enumerate(batch.trajectory_group):
        by_group[group].append(trajectory)
    advantages = np.zeros(len(scores))
    for members in by_group.values():
        n = len(members)
        if n > 1:  # alone in its group a trajectory has no baseline: no signal
            # s_i - (S - s_i) / (n - 1) = n / (n - 1) * (s_i - S / n); agora's centring sums exactly
            # and makes float-noise ties exactly 0
            advantages[members] = n / (n - 1) * normalise(scores[members], "mean_norm", 0.0, ddof=0)
    return advantages[batch.row_trajectory]


# Reads no agora setting: algorithm.norm_mode, gamma, ... do not apply to it.
RLOO = EstimatorSpec("rloo", rloo_advantages, doc="RLOO: total reward minus the mean of the other trajectories of the group")
