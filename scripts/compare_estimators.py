"""GRPO vs GiGPO vs HGPO, each with and without EPO, at a matched budget over several seeds.

Every run uses the same config except ``algorithm.estimator`` and ``algorithm.epo.enabled``:
same env, batch (tasks x group size), updates, learning rate and evaluation panel. Prints
held-out success with 95% Wilson intervals at fixed update counts, pooling the seeds' episodes.

    python scripts/compare_estimators.py                                 # the full table (long)
    python scripts/compare_estimators.py --seeds 0 --updates 2 --eval-every 1 --eval-episodes 10   # smoke run

The base config is the main job's (household tasks of all six types, 12-22 receptacles, 50-step
limit; a learner's episodes run 30-50 steps). ``--long-horizon`` keeps only the types with the
longest solutions: pick_two_obj_and_place and heat/cool/clean.
"""

from __future__ import annotations

import argparse
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from training.config import load_config
from training.agent_factory import build_trainable
from training.stats import wilson_interval
from training.trainer import Trainer

LONG_HORIZON = [
    "env_kwargs.task_types=[pick_two_obj_and_place, pick_heat_then_place_in_recep, "
    "pick_cool_then_place_in_recep, pick_clean_then_place_in_recep]",
]


def run(estimator: str, epo: bool, seed: int, args) -> list[dict]:
    """One training run; returns its metrics history. Runs in a worker process with one torch thread."""
    import torch

    torch.set_num_threads(1)
    out = Path(args.out) / f"{estimator}{'+epo' if epo else ''}" / f"seed{seed}"
    overrides = [
        *(LONG_HORIZON if args.long_horizon else []),
        f"algorithm.estimator={estimator}",
        f"algorithm.epo.enabled={str(epo).lower()}",
        f"train.seed={seed}",
        f"train.updates={args.updates}",
        f"train.eval_every={args.eval_every}",
        f"train.eval_episodes={args.eval_episodes}",
        "train.checkpoint_every=0",
        "train.max_minutes=null",
        f"train.output_dir={out}",
        "log.progress_bar=false",
        *args.overrides,
    ]
    config = load_config(args.config, overrides)
    return Trainer(config, build_trainable(config)).run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=None, help="base config (default: the main job's)")
    parser.add_argument("--estimators", nargs="+", default=["grpo", "gigpo", "hgpo"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--updates", type=int, default=60)
    parser.add_argument("--eval-every", type=int, default=20)
    parser.add_argument("--long-horizon", action="store_true", help="only the two-object and heat/cool/clean types")
    parser.add_argument("--eval-episodes", type=int, default=60)
    parser.add_argument("--out", default="runs/compare_estimators")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="runs in parallel (one core each)")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="applied to every run")
    args = parser.parse_args()

    runs = [(estimator, epo, seed) for estimator in args.estimators for epo in (False, True) for seed in args.seeds]
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        histories = list(pool.map(run, *zip(*runs), [args] * len(runs)))
    table: dict[str, dict[int, list[float]]] = {}
    for (estimator, epo, _), history in zip(runs, histories):
        name = f"{estimator}{' + EPO' if epo else ''}"
        for m in history:
            if "eval/success" in m:
                table.setdefault(name, {}).setdefault(m["update"], []).append(m["eval/success"])
    checkpoints = sorted({u for rows in table.values() for u in rows})
    print("held-out success after n updates: pooled over seeds, 95% Wilson interval (per-seed rates)")
    print(f"{'method':<14}" + "".join(f"  update {u:<27}" for u in checkpoints))
    for name, rows in table.items():
        cells = []
        for u in checkpoints:
            rates = rows.get(u, [])
            wins = round(sum(r * args.eval_episodes for r in rates))
            est = wilson_interval(wins, args.eval_episodes * len(rates)) if rates else None
            per_seed = "/".join(f"{r:.2f}" for r in rates)
            cells.append(f"  {f'{est} ({per_seed})' if est else '-':<34}")
        print(f"{name:<14}" + "".join(cells))
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "table.json").write_text(json.dumps(table, indent=2))


if __name__ == "__main__":
    main()
