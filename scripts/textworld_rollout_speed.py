"""Seconds per training rollout on TextWorld, side by side in one run: before and after env reuse
and lean TextWorld steps.

    OMP_NUM_THREADS=1 PYTHONPATH=. python scripts/textworld_rollout_speed.py [--rounds 3]

One rollout is what one update of training/configs/textworld_tiny.yaml collects (tasks_per_batch x
group_size episodes, the untrained tiny policy, so every episode runs its 30 turns). Variants:

  before  fresh envs every rollout, and the player tracks TextWorld quests on every step (what
          the env did before: it requested ``policy_commands`` for the expert)
  pool    envs kept in an ``envs.EnvPool`` across rollouts, the player still tracking quests
  after   the pool, and a player that does not track quests (the expert replays when asked)

Rounds alternate the variants on the same task draws, so machine noise hits all alike; the script
also checks that the three variants produce identical records.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, no install needed

import envs  # noqa: E402
from agents.tiny import TinyAgent  # noqa: E402
from envs.textworld import env as textworld_env  # noqa: E402
from training.config import load_config, training_rollout  # noqa: E402
from training.rollout import rollout  # noqa: E402
from training.tasks import training_tasks  # noqa: E402


class QuestTrackingTextWorld(textworld_env.TextWorldEnv):
    """The env as it was: its TextWorld game tracks quests on every step."""

    def _start(self, path: str) -> None:
        if self._tw is not None and path == self.game_path:
            return
        self._close_game()
        self._tw = textworld_env._start_game(path, self.admissible, track_quests=True)
        self.game_path = path


envs.register("TextWorldQuestTracking-v0", QuestTrackingTextWorld, family="textworld", splits=textworld_env.SPLITS)
VARIANTS = {"before": ("agora/TextWorldQuestTracking-v0", False), "pool": ("agora/TextWorldQuestTracking-v0", True),
            "after": ("agora/TextWorld-v0", True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--config", default="training/configs/textworld_tiny.yaml")
    args = parser.parse_args()
    config = load_config(args.config)
    agent = TinyAgent(config.policy.tiny)
    pools = {name: envs.EnvPool() for name in VARIANTS}
    seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
    steps = 0
    try:
        for r in range(args.rounds + 1):  # round 0 warms up: games read, pools filled
            tasks = training_tasks(config.env, "train", config.rollout.tasks_per_batch, np.random.default_rng(r))
            rollout_config = training_rollout(config, seed=r)
            rows = {}
            for name, (env_id, pooled) in VARIANTS.items():
                start = time.perf_counter()
                records = rollout(env_id, agent, tasks, rollout_config, env_kwargs=config.env_kwargs,
                                  env_pool=pools[name] if pooled else None)
                if r:
                    seconds[name].append(time.perf_counter() - start)
                rows[name] = [{**asdict(x), "env": ""} for x in records]
            if rows["before"] != rows["pool"] or rows["before"] != rows["after"]:
                raise SystemExit(f"round {r}: the variants' records differ")
            steps = len(records)
    finally:
        for pool in pools.values():
            pool.close()
    base = statistics.median(seconds["before"])
    print(f"{config.rollout.tasks_per_batch} tasks x {config.rollout.group_size} copies, {steps} steps per rollout, "
          f"median of {args.rounds} rounds; records identical across variants")
    for name, values in seconds.items():
        median = statistics.median(values)
        print(f"{name:<7} {median:6.2f} s per rollout  ({base / median:.2f}x before)  rounds: "
              + ", ".join(f"{v:.2f}" for v in values))


if __name__ == "__main__":
    main()
