"""Env steps per second for each single-agent env family: in process, and on 1, 2 and 4 Ray env actors.

Every path plays the same batch (``--tasks`` x ``--group-size`` envs, lock-step, random
admissible actions from one seeded generator, "look around" / "look" where an env lists none),
for ``--rounds`` resets of ``--turns`` turns after one untimed round; only the ``step`` calls are timed (resets and actor
start-up are not). All paths of one env run one after the other in one process, so the ratios
compare like with like; the step counts must agree (they are printed: the same actions were played).

    PYTHONPATH=. .venv/bin/python scripts/ray_env_speed.py            # the scaling curve: 1, 2, 4 actors
    PYTHONPATH=. .venv/bin/python scripts/ray_env_speed.py --envs agora/Household-v0 --actors 1 2
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, no install needed

import envs  # noqa: E402
from training.config import load_config  # noqa: E402
from training.ray_pool import RayEnvPool  # noqa: E402

# One id per single-agent family, with settings that keep a run short.
FAMILY_ENVS = {
    "agora/Household-v0": {},
    "agora/InventoryText-v0": {},
    "agora/Maestro-v0": {},
    "agora/Shop-v0": {},
    "agora/TextWorld-v0": {},
    "agora/ScienceWorld-v0": {"tasks": "find-plant"},
}
FREE_FORM_ACTION = {"science": "look around"}


def pick(info: dict, family: str, rng: np.random.Generator) -> str:
    choices = info.get("admissible_actions") or []
    return str(choices[int(rng.integers(len(choices)))]) if choices else FREE_FORM_ACTION.get(family, "look")


def measure(runner, family: str, rounds: int, turns: int, n_tasks: int, seed: int) -> tuple[int, float]:
    """(steps taken, seconds inside ``runner.step``), after one untimed round (lazy imports, caches)."""
    play(runner, family, 1, turns, n_tasks, seed + 10**6)
    return play(runner, family, rounds, turns, n_tasks, seed)


def play(runner, family: str, rounds: int, turns: int, n_tasks: int, seed: int) -> tuple[int, float]:
    rng = np.random.default_rng(seed)
    steps, seconds = 0, 0.0
    for r in range(rounds):
        _, infos = runner.reset([seed + 1000 * r + i for i in range(n_tasks)])
        for _ in range(turns):
            live = [k for k in range(len(runner)) if not runner.done[k]]
            if not live:
                break
            actions = [pick(infos[k], family, rng) for k in range(len(runner))]
            start = time.perf_counter()
            out = runner.step(actions)
            seconds += time.perf_counter() - start
            steps += len(live)
            infos = out.infos
    return steps, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envs", nargs="*", default=list(FAMILY_ENVS), help="env ids (default: one per family)")
    parser.add_argument("--actors", nargs="*", type=int, default=[1, 2, 4])
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--group-size", type=int, default=2)
    parser.add_argument("--turns", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import ray

    ray.init(num_cpus=max(args.actors), include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(Path(__file__).resolve().parents[1])}})
    print(f"{args.tasks} tasks x {args.group_size} copies, {args.rounds} rounds of up to {args.turns} turns; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    print(f"| env | in process steps/s | " + " | ".join(f"{n} actor{'s' * (n > 1)} steps/s (x in process)" for n in args.actors)
          + " | steps |")
    print("|---" * (3 + len(args.actors)) + "|")
    try:
        for env_id in args.envs:
            kwargs = FAMILY_ENVS.get(env_id, {})
            family = envs.spec(env_id).family
            local = envs.GroupRunner(env_id, args.tasks, args.group_size, **kwargs)
            try:
                steps, seconds = measure(local, family, args.rounds, args.turns, args.tasks, args.seed)
            finally:
                local.close()
            cells, counts = [f"{steps / seconds:.0f}"], [steps]
            for n in args.actors:
                settings = load_config(None, ["ray.enabled=true", f"ray.env_actors={n}", "ray.cpus_per_env_actor=1"]).ray
                pool = RayEnvPool(env_id, kwargs, settings)
                try:
                    runner = pool.runner(env_id, args.tasks, args.group_size, kwargs)
                    ray_steps, ray_seconds = measure(runner, family, args.rounds, args.turns, args.tasks, args.seed)
                finally:
                    pool.close()
                cells.append(f"{ray_steps / ray_seconds:.0f} ({seconds / steps * ray_steps / ray_seconds:.2f}x)")
                counts.append(ray_steps)
            print(f"| {env_id} | " + " | ".join(cells) + f" | {'/'.join(map(str, counts))} |", flush=True)
    finally:
        ray.shutdown()
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
