"""Random-action steps per second of agora's numeric inventory envs beside OR-Gym's InvManagement-v1.

Both sides run the same loop: build the env with its library's ``make`` (so with the usual
wrappers), seed the action space, then step with ``action_space.sample()`` and reset whenever an
episode ends. OR-Gym 0.5.0 needs gym 0.26 and numpy < 2, so it runs in a venv of its own, in a
subprocess that times only its loop:

    python3 -m venv /work/orgym-venv
    /work/orgym-venv/bin/pip install gym==0.26.2 "numpy<2" "pandas<2.3" scipy matplotlib networkx
    /work/orgym-venv/bin/pip install --no-deps or-gym==0.5.0

Timings on a shared machine are noisy, so the two sides alternate for ``--rounds`` rounds and the
table reports the median rate and the median of the per-round ratios (agora / OR-Gym).

    PYTHONPATH=. python scripts/inventory_speed.py [--steps 10000] [--rounds 3] [--orgym-python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

AGORA_IDS = ("agora/InvManagement-v1", "agora/InventoryNumeric-v0", "agora/LostSales-v0")
DEFAULT_ORGYM_PYTHON = os.environ.get("AGORA_ORGYM_PYTHON", "/work/orgym-venv/bin/python")
ORGYM_ID = "InvManagement-v1"

# Runs inside the OR-Gym venv: prints {"rate": steps per second}. gym 0.26's OR-Gym envs use the
# old API (reset() -> obs, step() -> obs, reward, done, info).
ORGYM_LOOP = """
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import or_gym
steps = int(sys.argv[1])
env = or_gym.make(sys.argv[2])
env.action_space.seed(0)
env.reset()
start = time.process_time()
for _ in range(steps):
    _, _, done, _ = env.step(env.action_space.sample())
    if done:
        env.reset()
print(json.dumps({"rate": steps / (time.process_time() - start)}))
"""


def agora_rate(env_id: str, steps: int) -> float:
    import envs

    env = envs.make(env_id)
    env.action_space.seed(0)
    episode = 0
    env.reset(seed=episode)
    start = time.process_time()
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            episode += 1
            env.reset(seed=episode)
    rate = steps / (time.process_time() - start)
    env.close()
    return rate


def orgym_rate(python: str, steps: int) -> float:
    done = subprocess.run([python, "-c", ORGYM_LOOP, str(steps), ORGYM_ID], capture_output=True, text=True,
                          timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"the OR-Gym run failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["rate"]


def warm_up_experts() -> None:
    """Tune each env's expert once (cached per process) so no round pays for the search."""
    for env_id in AGORA_IDS:
        agora_rate(env_id, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10_000, help="random steps per env and round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (the median is reported)")
    parser.add_argument("--orgym-python", default=DEFAULT_ORGYM_PYTHON,
                        help="python of a venv with or-gym 0.5.0 (default: $AGORA_ORGYM_PYTHON or %(default)s)")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.rounds < 1:
        parser.error("--steps and --rounds must be >= 1")
    orgym_ok = Path(args.orgym_python).is_file()
    if not orgym_ok:
        print(f"OR-Gym python not found at {args.orgym_python}: install it as this script's docstring says, "
              "or pass --orgym-python / set AGORA_ORGYM_PYTHON. Timing agora's envs only.", file=sys.stderr)

    warm_up_experts()
    rates = {env_id: [] for env_id in AGORA_IDS}
    orgym = []
    for round_ in range(args.rounds):
        for env_id in AGORA_IDS:
            rates[env_id].append(agora_rate(env_id, args.steps))
        if orgym_ok:
            orgym.append(orgym_rate(args.orgym_python, args.steps))
        print(f"round {round_ + 1}/{args.rounds} done", file=sys.stderr)

    print(f"{args.steps} random steps per env and round, {args.rounds} round(s), medians")
    header = f"{'env':28} {'steps/s':>9} {'OR-Gym ' + ORGYM_ID + ' steps/s':>32} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    orgym_text = f"{statistics.median(orgym):,.0f}" if orgym_ok else "missing"
    for env_id, values in rates.items():
        ratio = statistics.median(a / b for a, b in zip(values, orgym)) if orgym_ok else None
        ratio_text = f"{ratio:.2f}x" if ratio is not None else "n/a"
        print(f"{env_id:28} {statistics.median(values):>9,.0f} {orgym_text:>32} {ratio_text:>7}")
    return 0 if orgym_ok else 1


if __name__ == "__main__":
    sys.exit(main())
