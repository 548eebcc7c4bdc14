"""Framework overhead of tiny-policy rollouts (target: rollout time <= 2x env + policy time).

Measures, side by side on the same tasks (N tasks x G copies, at most --max-turns turns):

  (a) bare env: ``envs.GroupRunner`` stepped with uniformly random admissible actions (plain
      Python rng; no agent, no records);
  (b) policy alone: ``TinyAgent.act`` on the very decision batches of rollout (c), recorded once
      beforehand, timed without any env in the loop;
  (c) full rollout: ``training.rollout.rollout`` with the tiny policy.

The overhead ratio is rollout time / (bare env time + policy time) for the same number of steps,
i.e. what agora adds on top of stepping the envs and running the network. Each figure is the
median over --repeats runs.

    OMP_NUM_THREADS=1 PYTHONPATH=. python scripts/rollout_overhead.py --tasks 16 --group 4 --repeats 5
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, no install needed

import envs  # noqa: E402
from agents.backends.base import SamplingConfig  # noqa: E402
from agents.tiny import TinyAgent  # noqa: E402
from training.tasks import training_tasks  # noqa: E402
from training.rollout import RolloutConfig, rollout  # noqa: E402


class RecordingTinyAgent(TinyAgent):
    """A TinyAgent that keeps every decision batch it is asked about."""

    def __init__(self):
        super().__init__()
        self.batches = []

    def act(self, decisions, sampling=None):
        self.batches.append((list(decisions), sampling))
        return super().act(decisions, sampling)


def bare_env(env_id: str, tasks, group: int, max_turns: int, seed: int) -> tuple[float, int]:
    """Seconds and env steps of random-admissible-action play (env construction and reset included,
    as in a rollout)."""
    start = time.perf_counter()
    runner = envs.GroupRunner(env_id, len(tasks), group)
    rng = random.Random(seed)
    try:
        _, infos = runner.reset([t.seed for t in tasks], [t.options for t in tasks])
        steps = 0
        for _ in range(max_turns):
            if runner.all_done:
                break
            actions = [rng.choice(info["admissible_actions"]) if not done else "" for info, done in zip(infos, runner.done)]
            out = runner.step(actions)
            infos = out.infos
            steps += sum(out.active)
        return time.perf_counter() - start, steps
    finally:
        runner.close()


def policy_alone(agent: TinyAgent, batches) -> tuple[float, int]:
    """Seconds and decisions of TinyAgent.act over recorded batches."""
    start = time.perf_counter()
    for decisions, sampling in batches:
        agent.act(decisions, sampling)
    return time.perf_counter() - start, sum(len(d) for d, _ in batches)


def full_rollout(env_id: str, agent: TinyAgent, tasks, config: RolloutConfig) -> tuple[float, int]:
    """Seconds and steps (= step records) of a whole rollout, env construction included."""
    start = time.perf_counter()
    records = rollout(env_id, agent, tasks, config)
    return time.perf_counter() - start, len(records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="agora/Household-v0")
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--group", type=int, default=4)
    parser.add_argument("--max-turns", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    tasks = training_tasks(args.env, "train", args.tasks, np.random.default_rng(args.seed))
    # A fixed sampling seed makes every rollout replay the same trajectories, so (b) times exactly (c)'s decisions.
    config = RolloutConfig(group_size=args.group, max_turns=args.max_turns, sampling=SamplingConfig(seed=args.seed))
    agent = TinyAgent(seed=args.seed)
    recorder = RecordingTinyAgent()
    recorder.load_state_dict(agent.state_dict())
    rollout(args.env, recorder, tasks, config)  # records the decisions; also warms imports and caches

    env_rates, policy_costs, rollout_rates, ratios = [], [], [], []
    for r in range(args.repeats):
        env_s, env_steps = bare_env(args.env, tasks, args.group, args.max_turns, args.seed + r)
        pol_s, decisions = policy_alone(agent, recorder.batches)
        roll_s, roll_steps = full_rollout(args.env, agent, tasks, config)
        if decisions != roll_steps:
            raise RuntimeError(f"rollout took {roll_steps} steps but {decisions} decisions were recorded")
        env_per_step, pol_per_step = env_s / env_steps, pol_s / decisions
        env_rates.append(1 / env_per_step)
        policy_costs.append(pol_per_step)
        rollout_rates.append(roll_steps / roll_s)
        ratios.append(roll_s / (roll_steps * (env_per_step + pol_per_step)))

    med = statistics.median
    print(f"{args.env}: {args.tasks} tasks x {args.group} copies, <= {args.max_turns} turns, "
          f"{roll_steps} rollout steps, median of {args.repeats}, torch threads {torch.get_num_threads()}")
    print(f"  (a) bare env (random admissible): {med(env_rates):10.0f} steps/s")
    print(f"  (b) TinyAgent.act alone:          {med(policy_costs) * 1e6:10.1f} us/decision "
          f"({1 / med(policy_costs):.0f} decisions/s)")
    print(f"  (c) full rollout (tiny policy):   {med(rollout_rates):10.0f} steps/s "
          f"({med(rollout_rates) / med(env_rates):.2f}x bare env steps/s)")
    print(f"  overhead ratio rollout / (env + policy): {med(ratios):.2f}x  (target <= 2x; "
          f"per-repeat {', '.join(f'{x:.2f}' for x in ratios)})")


if __name__ == "__main__":
    main()
