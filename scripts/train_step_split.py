"""Where a training step's time goes (generation, env, rest of the rollout, advantages, update)
and the peak memory, for the tiny policy and for SmolLM2-135M-Instruct on the ``hf`` backend.

Each policy runs in its own subprocess (so its peak resident memory is its own), plays
``--updates`` training updates of Household through ``Trainer.collect``, ``compute_advantages``
and ``Trainer.optimize``, and times: every ``Agent.act`` call (generation: prompt building,
sampling, parsing), every ``GroupRunner`` construction, reset and step (env), the rest of the
rollout (step records, memories), the advantage estimator, the PPO update and the weight sync
(``after_update``: nil for the in-process hf sampler, which shares the learner's model object;
tensors through Ray with ``--set ray.enabled=true ray.engine_actor=true``, whose env steps are
then timed on the env actors' runner). The first update is a warm-up and is not counted. Peak
memory is the driver process's (an engine actor's is its own).

    PYTHONPATH=. .venv/bin/python scripts/train_step_split.py
    PYTHONPATH=. .venv/bin/python scripts/train_step_split.py --policies tiny --updates 4
    PYTHONPATH=. .venv/bin/python scripts/train_step_split.py --policies smollm2 --updates 1 --set train.gradient_checkpointing=false
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout, no install needed

# The tiny policy plays the main job (its config as shipped); SmolLM2 a small batch (a CPU step takes minutes).
SETTINGS = {
    "tiny": [],
    "smollm2": ["policy.backend=hf", "train.device=cpu", "rollout.tasks_per_batch=2", "rollout.group_size=2",
                "rollout.max_turns=3", "rollout.max_tokens=32", "algorithm.minibatch_size=12",
                "algorithm.skip_zero_advantage=false"],  # else the untrained model's all-failed groups skip the update
}
PARTS = ("generation", "env", "rollout_other", "advantages", "update", "weight_sync")


def timed(owner, name: str, seconds: dict, part: str) -> None:
    """Wrap ``owner.name`` so that its wall time adds to ``seconds[part]``."""
    inner = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            seconds[part] += time.perf_counter() - start

    setattr(owner, name, wrapper)


def measure(policy: str, updates: int, overrides: list[str]) -> dict:
    import envs
    from training.agent_factory import build_trainable
    from training.config import load_config
    from training.trainer import Trainer, compute_advantages

    config = load_config(None, [*SETTINGS[policy], *overrides, "log.tensorboard=false", "log.progress_bar=false"])
    agent = build_trainable(config)
    seconds: dict = defaultdict(float)
    timed(agent, "act", seconds, "generation")
    for name in ("__init__", "reset", "step"):
        timed(envs.GroupRunner, name, seconds, "env")
    if config.ray.active:
        from training.ray_pool import PoolRunner

        for name in ("__init__", "reset", "step"):
            timed(PoolRunner, name, seconds, "env")
    per_update = []
    with tempfile.TemporaryDirectory() as out:
        trainer = Trainer(config, agent, output_dir=out)
        timed(agent, "after_update", seconds, "weight_sync")  # after Trainer: its start-up sync is not an update's
        try:
            for k in range(updates):
                seconds.clear()
                start = time.perf_counter()
                records = trainer.collect(k)
                seconds["rollout_other"] = time.perf_counter() - start - seconds["generation"] - seconds["env"]
                start = time.perf_counter()
                advantages = compute_advantages(records, config)
                seconds["advantages"] = time.perf_counter() - start
                start = time.perf_counter()
                trainer.optimize(records, advantages, k)
                seconds["update"] = time.perf_counter() - start - seconds["weight_sync"]
                per_update.append({**{p: seconds[p] for p in PARTS}, "rows": len(records)})
        finally:
            trainer.close()  # Ray actors, if any
            agent.close()
    counted = per_update[1:] or per_update
    mean = {p: sum(u[p] for u in counted) / len(counted) for p in (*PARTS, "rows")}
    return {"policy": policy, "updates": len(counted), **mean,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--policies", nargs="*", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--updates", type=int, default=3, help="updates per policy (the first is a warm-up)")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="config overrides for every policy")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.updates, args.set)))
        return
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start; OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', 'unset')}; overrides: {' '.join(args.set) or 'none'}")
    print("| policy | rows/update | step s | " + " | ".join(PARTS) + " | peak RSS MB |")
    print("|---" * (4 + len(PARTS)) + "|")
    for policy in args.policies:
        child = subprocess.run([sys.executable, __file__, "--child", policy, "--updates", str(args.updates), "--set", *args.set],
                               capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        if child.returncode != 0:
            raise SystemExit(f"{policy}: exit code {child.returncode}: {child.stderr[-2000:]}")
        m = json.loads(child.stdout.strip().splitlines()[-1])
        total = sum(m[p] for p in PARTS)
        cells = [f"{m[p]:.2f} s ({100 * m[p] / total:.0f}%)" for p in PARTS]
        print(f"| {policy} | {m['rows']:.0f} | {total:.2f} | " + " | ".join(cells) + f" | {m['peak_rss_mb']:.0f} |", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
