"""Run the household expert on generated tasks and print its success rate and plan lengths.

    python scripts/household_expert_check.py                 # 1000 train tasks of every type
    python scripts/household_expert_check.py --n 200 --split eval_out_of_distribution --difficulty hard
    python scripts/household_expert_check.py --n 0 --optimal 20    # plan length vs breadth-first optimum
    python scripts/household_expert_check.py --expert search --split eval_in_distribution --max-steps 15

``--optimal K`` compares the expert's plan length with a breadth-first search's on the first K
tasks of each type at the chosen difficulty (slow: seconds per two-object task). ``--expert search``
runs the expert that knows only what it has seen (``envs.household.search_expert``); ``--max-steps``
caps an episode (a rollout's ``max_turns``), so its success says what a policy that copies it can reach.
"""

from __future__ import annotations

import argparse
import statistics
import time

from envs.household.env import HouseholdEnv
from envs.household.expert import plan, shortest_plan_length
from envs.household.generator import DIFFICULTIES, SPLITS, split_size, split_task
from envs.household.world import HouseholdWorld
from envs.household.tasks import TASK_TYPES


def run_expert(env: HouseholdEnv, task_type: str, index: int) -> tuple[bool, int]:
    env.reset(seed=index, options={"task_type": task_type, "index": index})
    for step in range(1, env.max_steps + 1):
        _, reward, terminated, truncated, info = env.step(env.expert_action())
        if terminated or truncated:
            return bool(info["won"] and reward == 1.0), step
    return False, env.max_steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="tasks per task type (capped at the split's size)")
    parser.add_argument("--split", choices=SPLITS, default="train")
    parser.add_argument("--difficulty", choices=sorted(DIFFICULTIES), default="default")
    parser.add_argument("--optimal", type=int, default=0, help="tasks per type to check against breadth-first search")
    parser.add_argument("--expert", choices=["planner", "search"], default="planner", help="the env's expert kwarg")
    parser.add_argument("--max-steps", type=int, default=None, help="episode step limit (default: the difficulty's)")
    args = parser.parse_args()
    if args.max_steps is not None and args.max_steps < 1:
        parser.error("--max-steps must be >= 1")
    if args.optimal > 0 and args.expert != "planner":
        parser.error("--optimal checks the planner's plans; drop --expert search")
    all_ok = check_success(args) if args.n > 0 else True
    if args.optimal > 0:
        all_ok &= check_optimality(args)
    print("ALL SOLVED" if all_ok else "SOME TASKS UNSOLVED OR NOT OPTIMAL")
    raise SystemExit(0 if all_ok else 1)


def check_optimality(args) -> bool:
    print(f"\nplan length vs breadth-first optimum, first {args.optimal} {args.split} tasks per type")
    all_ok = True
    for task_type in TASK_TYPES:
        start, optimal, total_gap = time.perf_counter(), 0, 0
        for index in range(args.optimal):
            world = HouseholdWorld(split_task(args.split, index, task_type, args.difficulty))
            length = len(plan(world))
            best = shortest_plan_length(world, length)
            optimal += best == length
            total_gap += length - (best if best is not None else length)
        all_ok &= optimal == args.optimal
        print(f"{task_type:34s} optimal {optimal}/{args.optimal}  extra steps {total_gap}  {time.perf_counter() - start:6.1f}s")
    return all_ok


def check_success(args) -> bool:
    env = HouseholdEnv(split=args.split, difficulty=args.difficulty, expert=args.expert, max_steps=args.max_steps)
    n = min(args.n, split_size(args.split, TASK_TYPES[0]))
    print(f"split={args.split} difficulty={args.difficulty} expert={args.expert} max steps={env.max_steps} tasks per type={n}")
    print(f"{'task type':34s} {'success':>8s} {'mean steps':>11s} {'max steps':>10s} {'seconds':>8s}")
    all_ok, all_results = True, []
    for task_type in TASK_TYPES:
        start = time.perf_counter()
        results = [run_expert(env, task_type, i) for i in range(n)]
        all_results += results
        wins = sum(ok for ok, _ in results)
        steps = [s for ok, s in results if ok]
        all_ok &= wins == n
        print(
            f"{task_type:34s} {wins / n:8.1%} {statistics.mean(steps) if steps else float('nan'):11.2f} "
            f"{max(steps, default=0):10d} {time.perf_counter() - start:8.1f}"
        )
    wins = [s for ok, s in all_results if ok]
    print(f"{'all':34s} {len(wins) / len(all_results):8.1%} {statistics.mean(wins) if wins else float('nan'):11.2f}")
    return all_ok


if __name__ == "__main__":
    main()
