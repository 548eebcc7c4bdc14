"""Which tasks an update or an evaluation plays.

An evaluation panel is the same list of tasks on every machine: task ``i`` of a named split for
envs that have splits (``reset(options={"split": s, "index": i})``), else reset seed
``EVAL_SEED_BASE + i``. Training draws its seeds below that base, so the two never meet; training
tasks of split envs are ``reset(seed=s, options={"split": "train"})``: the env draws the task from the seed.
"""

from __future__ import annotations

import numpy as np

import envs
from training.rollout import Task

EVAL_SEED_BASE = 1_000_000


def eval_panel(env_id: str, split: str | None, episodes: int) -> list[Task]:
    """The fixed evaluation tasks of an env: identical on every machine and every run."""
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    spec = envs.spec(env_id)
    if spec.splits:
        if split not in spec.splits:
            raise ValueError(f"{env_id} has splits {list(spec.splits)}; got split={split!r}")
        return [Task(seed=i, options={"split": split, "index": i}, group_id=f"{split}-{i}") for i in range(episodes)]
    return [Task(seed=EVAL_SEED_BASE + i, group_id=f"eval-{i}") for i in range(episodes)]


def training_tasks(env_id: str, split: str, n: int, rng: np.random.Generator) -> list[Task]:
    """``n`` training tasks drawn with ``rng`` (from the train split where the env has splits)."""
    spec = envs.spec(env_id)
    seeds = rng.integers(0, EVAL_SEED_BASE, size=n)
    if spec.splits:
        if split not in spec.splits:
            raise ValueError(f"{env_id} has splits {list(spec.splits)}; got split={split!r}")
        return [Task(seed=int(s), options={"split": split}) for s in seeds]  # the seed picks the task
    return [Task(seed=int(s)) for s in seeds]
