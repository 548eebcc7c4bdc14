"""Updates per second of the main job: in-process rollouts against one-step off-policy rollouts.

Both modes start from the same weights (a training run's checkpoint, so episodes have the length
they have in the middle of a run, or the untrained policy) and train --updates updates of the
main job's config, without evaluation; the pair runs --repeats times, alternating, and the script
prints each mode's median seconds per update and the ratio. Every process runs one torch thread,
as under `agora train`.

    PYTHONPATH=. python scripts/off_policy_speed.py --from runs/household-tiny --updates 10 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, no install needed

from training import checkpoint  # noqa: E402
from training.config import load_config  # noqa: E402
from training.policies import build_trainable  # noqa: E402
from training.trainer import Trainer  # noqa: E402


def seconds_per_update(off_policy: bool, start_from: str | None, updates: int, first_update: int) -> float:
    torch.set_num_threads(1)  # as `agora train`, in each process
    with tempfile.TemporaryDirectory() as out:
        config = load_config(None, [
            f"rollout.one_step_off_policy={str(off_policy).lower()}", "train.eval_every=0", "train.max_minutes=null",
            "train.checkpoint_every=0", "log.progress_bar=false", "log.tensorboard=false", f"train.output_dir={out}",
            f"train.updates={first_update + updates + 1}",
        ])
        trainer = Trainer(config, build_trainable(config))
        if start_from:
            trainer.agent.load_state_dict(checkpoint.load(start_from)[0])
            if off_policy:
                trainer.rollout_weights = trainer.agent.state_dict()
        trainer.update = first_update  # fresh tasks, not those the checkpoint saw
        trainer.train_one()  # warm-up: the worker's start and its first batch are not counted
        begin = time.perf_counter()
        for _ in range(updates):
            trainer.train_one()
        elapsed = time.perf_counter() - begin
        trainer.close()
    return elapsed / updates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="start_from", help="a training run folder or checkpoint (default: untrained)")
    parser.add_argument("--updates", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    times: dict[bool, list[float]] = {False: [], True: []}
    for r in range(args.repeats):
        for off_policy in (False, True):
            times[off_policy].append(seconds_per_update(off_policy, args.start_from, args.updates, 10_000 + 100 * r))
            print(f"repeat {r}: {'one-step off-policy' if off_policy else 'in-process'} "
                  f"{times[off_policy][-1]:.2f} s/update", flush=True)
    in_process, off = statistics.median(times[False]), statistics.median(times[True])
    ratios = [a / b for a, b in zip(times[False], times[True])]
    print(f"median s/update: in-process {in_process:.2f}, one-step off-policy {off:.2f}; "
          f"speed-up {statistics.median(ratios):.2f}x (per repeat {', '.join(f'{x:.2f}' for x in ratios)})")


if __name__ == "__main__":
    main()
