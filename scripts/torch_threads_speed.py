"""Seconds per update of the main job on one torch thread against two, measured side by side.

Both start from the same weights (a training run's checkpoint, so episodes have the length they
have in the middle of a run) and train --updates updates of the main job's config, without
evaluation; the pair runs --repeats times, alternating, and the script prints each thread count's
median rollout and PPO-update seconds per update and the ratio. `--busy` keeps one core loaded by
a CPU-bound process meanwhile, as a second run beside this one would.

    PYTHONPATH=. python scripts/torch_threads_speed.py --from runs/household-tiny/checkpoints/update_000090
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, no install needed

from training import checkpoint  # noqa: E402
from training.commands import keep_freed_memory  # noqa: E402
from training.config import load_config  # noqa: E402
from training.agent_factory import build_trainable  # noqa: E402
from training.trainer import Trainer  # noqa: E402


def spin() -> None:
    while True:
        pass


def timed_updates(threads: int, start_from: str, updates: int, first_update: int) -> tuple[float, float]:
    """Mean rollout and PPO-update seconds per update."""
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as out:
        config = load_config(None, [
            "train.eval_every=0", "train.max_minutes=null", "train.checkpoint_every=0", "log.progress_bar=false",
            "log.tensorboard=false", f"train.output_dir={out}", f"train.updates={first_update + updates + 1}",
        ])
        trainer = Trainer(config, build_trainable(config))
        trainer.agent.load_state_dict(checkpoint.load(start_from)[0])
        trainer.update = first_update  # fresh tasks, not those the checkpoint saw
        trainer.train_one()  # warm-up
        metrics = [trainer.train_one() for _ in range(updates)]
    return (statistics.mean(m["perf/rollout_s"] for m in metrics), statistics.mean(m["perf/update_s"] for m in metrics))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="start_from", required=True, help="a training run folder or checkpoint")
    parser.add_argument("--updates", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--busy", action="store_true", help="keep one core busy with a CPU-bound process")
    args = parser.parse_args()
    keep_freed_memory()
    hog = None
    if args.busy:
        hog = multiprocessing.get_context("spawn").Process(target=spin, daemon=True)
        hog.start()
    totals: dict[int, list[float]] = {1: [], 2: []}
    try:
        for r in range(args.repeats):
            for threads in (1, 2):
                rollout_s, update_s = timed_updates(threads, args.start_from, args.updates, 10_000 + 100 * r)
                totals[threads].append(rollout_s + update_s)
                print(f"repeat {r}: {threads} thread(s): rollout {rollout_s:.2f} s + PPO update {update_s:.2f} s per update",
                      flush=True)
    finally:
        if hog is not None:
            hog.terminate()
    ratios = [a / b for a, b in zip(totals[1], totals[2])]
    print(f"median s/update: one thread {statistics.median(totals[1]):.2f}, two {statistics.median(totals[2]):.2f}; "
          f"two threads are {statistics.median(ratios):.2f}x as fast (per repeat {', '.join(f'{x:.2f}' for x in ratios)})"
          f"{' with one core busy' if args.busy else ''}")


if __name__ == "__main__":
    main()
