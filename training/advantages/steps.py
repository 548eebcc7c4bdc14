"""Regroup step rows for the estimators: trajectories in turn order, returns, group statistics.

Every estimator accepts either a sequence of ``StepRecord`` or the equivalent columns: a
mapping with equal-length sequences ``episode_id``, ``group_id``, ``turn``, ``obs``,
``reward`` and optionally ``agent_id`` (default one agent) and ``action_valid`` (default
all valid). A trajectory is the rows sharing ``(episode_id, agent_id)``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Hashable, Mapping, Sequence

import numpy as np

MODES = ("mean_std_norm", "mean_norm")
REQUIRED_COLUMNS = ("episode_id", "group_id", "turn", "obs", "reward")
# Returns closer than this share of their group's largest magnitude count as tied: far below any
# reward scale in use, far above the 1e-16 relative noise of adding the same rewards in another order.
TIE_TOLERANCE = 1e-9


@dataclass
class StepBatch:
    rewards: np.ndarray  # float64, one per row
    valid: np.ndarray  # bool, one per row
    obs: list[Hashable]
    group_ids: list[Hashable]
    agent_ids: list[Hashable]
    trajectories: list[np.ndarray]  # row indices of each trajectory, in turn order
    trajectory_group: list[Hashable]  # the task group of each trajectory
    row_trajectory: np.ndarray  # trajectory index of each row

    def __len__(self) -> int:
        return len(self.rewards)


def _columns(rows: Any) -> dict[str, list]:
    if isinstance(rows, Mapping):
        missing = [name for name in REQUIRED_COLUMNS if name not in rows]
        if missing:
            raise ValueError(f"step columns are missing {missing}")
        cols = {name: list(rows[name]) for name in REQUIRED_COLUMNS}
        n = len(cols["reward"])
        cols["agent_id"] = list(rows["agent_id"]) if "agent_id" in rows else [0] * n
        cols["action_valid"] = list(rows["action_valid"]) if "action_valid" in rows else [True] * n
        lengths = {name: len(values) for name, values in cols.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"step columns differ in length: {lengths}")
        return cols
    if isinstance(rows, (str, bytes)) or not isinstance(rows, Sequence):
        raise TypeError(f"expected a sequence of StepRecord or a mapping of columns, got {type(rows).__name__}")
    names = REQUIRED_COLUMNS + ("agent_id", "action_valid")
    try:
        return {name: [getattr(row, name) for row in rows] for name in names}
    except AttributeError as err:
        raise TypeError(f"expected StepRecord rows: {err}") from err


def as_batch(rows: Any) -> StepBatch:
    """Validate rows and regroup them; raises ValueError on inconsistent input."""
    if isinstance(rows, StepBatch):
        return rows
    cols = _columns(rows)
    rewards = np.asarray(cols["reward"], dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(rewards)):
        bad = int(np.flatnonzero(~np.isfinite(rewards))[0])
        raise ValueError(f"row {bad} has a non-finite reward {rewards[bad]!r}")
    valid = np.asarray([bool(v) for v in cols["action_valid"]], dtype=bool)

    by_trajectory: dict[tuple, list[int]] = defaultdict(list)
    for i, key in enumerate(zip(cols["episode_id"], cols["agent_id"])):
        by_trajectory[key].append(i)
    trajectories, trajectory_group = [], []
    row_trajectory = np.empty(len(rewards), dtype=np.int64)
    for t, (key, members) in enumerate(by_trajectory.items()):
        members.sort(key=lambda i: cols["turn"][i])
        turns = [cols["turn"][i] for i in members]
        if len(set(turns)) != len(turns):
            raise ValueError(f"trajectory {key} has repeated turns {turns}")
        groups = {cols["group_id"][i] for i in members}
        if len(groups) != 1:
            raise ValueError(f"trajectory {key} spans several task groups {sorted(map(str, groups))}")
        trajectories.append(np.asarray(members, dtype=np.int64))
        trajectory_group.append(cols["group_id"][members[0]])
        row_trajectory[members] = t
    return StepBatch(rewards, valid, cols["obs"], cols["group_id"], cols["agent_id"],
                     trajectories, trajectory_group, row_trajectory)


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")


def discounted_returns(rows: Any, gamma: float = 0.95, invalid_penalty: float = 0.1) -> np.ndarray:
    """Return-to-go per row: R_t = sum_k gamma^(k-t) r_k over the rest of its trajectory.

    An invalid action docks ``invalid_penalty`` from its own step's return only; the penalty
    is not discounted back to earlier steps (as verl-agent applies it after the returns).
    """
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must be in [0, 1], got {gamma}")
    batch = as_batch(rows)
    returns = np.zeros(len(batch), dtype=np.float64)
    for members in batch.trajectories:
        running = 0.0
        for i in members[::-1]:
            running = batch.rewards[i] + gamma * running
            returns[i] = running
    return returns - invalid_penalty * (~batch.valid)


def normalise(values: np.ndarray, mode: str, epsilon: float, ddof: int, sample: np.ndarray | None = None) -> np.ndarray:
    """(x - mean) / (std + epsilon), or x - mean, with the statistics taken over ``sample``
    (default: ``values`` itself); ``ddof=1`` is the unbiased std.

    The same group gives bitwise the same result in any row order: sums are exact
    (``math.fsum``), not accumulated in row order. A centred value within ``TIE_TOLERANCE`` of
    the group's largest magnitude is float noise (-1 + 0.95 against -0.05) and is exactly 0,
    so a group of tied returns carries no signal however its members were summed.
    """
    values = np.asarray(values, dtype=np.float64)
    sample = values if sample is None else np.asarray(sample, dtype=np.float64)
    mean = math.fsum(sample) / len(sample)
    tie = TIE_TOLERANCE * float(np.abs(sample).max())
    centred = _snap(values - mean, tie)
    if mode == "mean_norm":
        return centred
    deviations = _snap(sample - mean, tie)
    std = math.sqrt(math.fsum(deviations * deviations) / (len(sample) - ddof))
    return centred / (std + epsilon)


def _snap(centred: np.ndarray, tie: float) -> np.ndarray:
    return np.where(np.abs(centred) <= tie, 0.0, centred)


def episode_scores(batch: StepBatch) -> np.ndarray:
    """Each trajectory's total (undiscounted) reward, summed exactly (the same rewards in another order tie)."""
    return np.asarray([math.fsum(batch.rewards[members]) for members in batch.trajectories], dtype=np.float64)


def episode_advantages(batch: StepBatch, mode: str, stats: str, epsilon: float) -> np.ndarray:
    """Group-normalised trajectory scores, broadcast to every row of each trajectory.

    ``stats="trajectory"``: one sample per trajectory (the GRPO/GiGPO papers).
    ``stats="step"``: one sample per step row, so long trajectories weigh more in the mean
    and std (verl-agent's default). A group with a single sample keeps its raw score
    (verl's mean 0, std 1, without its 1/(1+epsilon)).
    """
    check_mode(mode)
    if stats not in ("trajectory", "step"):
        raise ValueError(f"stats must be 'trajectory' or 'step', got {stats!r}")
    scores = episode_scores(batch)
    by_group: dict[Hashable, list[int]] = defaultdict(list)
    for t, group in enumerate(batch.trajectory_group):
        by_group[group].append(t)
    advantages = np.zeros(len(scores), dtype=np.float64)
    for members in by_group.values():
        members = np.asarray(members)
        weights = [len(batch.trajectories[t]) for t in members] if stats == "step" else [1] * len(members)
        sample = np.repeat(scores[members], weights)
        if len(sample) == 1:  # nothing to compare against: keep the raw score
            advantages[members] = scores[members]
            continue
        advantages[members] = normalise(scores[members], mode, epsilon, ddof=1, sample=sample)
    return advantages[batch.row_trajectory]
