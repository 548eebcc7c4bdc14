"""The main job by update count: held-out success of seeds 0, 1, 2 at updates 20, 40, 60, 80 and the
last one, and the seconds per update measured on this machine.

Each seed is `agora train train.seed=N` (the main job's config) without the time budget, evaluated
every 20 updates on the 100 `eval_in_distribution` tasks (greedy), so the table does not depend on
how fast the machine is; only the seconds-per-update column does. Training is deterministic per
seed: a rerun prints the same success numbers.

    python scripts/main_job_table.py                      # train what is missing in runs/main-job-table, then print
    python scripts/main_job_table.py --jobs 1 --updates 80
    python scripts/main_job_table.py --read-only          # print from finished or partial runs only
    python scripts/main_job_table.py --read-only --speed-from runs/main-job-table/seed0/checkpoints/update_000060 \
        --speed-against algorithm.ppo_epochs=3 algorithm.minibatch_size=128

A run folder that stopped early (killed) is resumed from its last checkpoint. Seconds per update is
the median over a run's updates of rollout + PPO time (`perf/rollout_s` + `perf/update_s`; the
evaluations not included). Runs side by side share the cores, and a busy machine inflates it:
`--speed-from CHECKPOINT --speed-against KEY=VALUE ...` also times a few updates of the recipe and
of the recipe with those overrides, from the same weights, alternating in one process, and prints
their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = (20, 40, 60, 80)


def history(run: Path) -> list[dict]:
    file = run / "metrics.jsonl"
    if not file.is_file():
        return []
    return [json.loads(line) for line in file.read_text().splitlines() if line.strip()]


def train_command(run: Path, seed: int, updates: int, overrides: list[str]) -> list[str]:
    """`agora train` for one seed: a fresh run, or a resume where an earlier one stopped short."""
    settings = [
        f"train.updates={updates}", "train.eval_every=20", "train.checkpoint_every=20", "train.max_minutes=null",
        "log.progress_bar=false", *overrides,
    ]
    base = [sys.executable, "-m", "training.cli", "train"]
    if (run / "checkpoints" / "latest").is_file():
        return [*base, "--resume", str(run), *settings]
    return [*base, *settings, f"train.seed={seed}", f"train.output_dir={run}"]


def train_missing(runs: dict[int, Path], updates: int, jobs: int, overrides: list[str]) -> None:
    todo = [(seed, run) for seed, run in runs.items() if len(history(run)) < updates]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    running: list[tuple[int, subprocess.Popen]] = []
    try:
        while todo or running:
            while todo and len(running) < jobs:
                seed, run = todo.pop(0)
                run.mkdir(parents=True, exist_ok=True)
                log = open(run / "train.log", "a")
                print(f"training seed {seed} -> {run} (log in {run / 'train.log'})", file=sys.stderr)
                running.append((seed, subprocess.Popen(train_command(run, seed, updates, overrides), cwd=ROOT, env=env,
                                                       stdout=log, stderr=subprocess.STDOUT)))
                log.close()
            time.sleep(2)
            for seed, proc in list(running):
                if proc.poll() is not None:
                    running.remove((seed, proc))
                    if proc.returncode:
                        print(f"seed {seed}: agora train exited with {proc.returncode}; see its train.log", file=sys.stderr)
    finally:
        for _, proc in running:  # interrupted: end what we started
            proc.terminate()
            proc.wait()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        names = [line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    load = ", load average %.1f" % os.getloadavg()[0] if hasattr(os, "getloadavg") else ""
    return f"{os.cpu_count()} cores ({cpu}){load}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"


def table(runs: dict[int, Path]) -> str:
    header = f"{'seed':<5}" + "".join(f"{f'update {u}':>11}" for u in COLUMNS) + f"{'final':>16}{'s/update':>10}"
    rows = ["held-out success (100 eval_in_distribution tasks, greedy)", header]
    for seed, run in runs.items():
        metrics = history(run)
        evals = {m["update"]: m["eval/success"] for m in metrics if "eval/success" in m}
        cells = "".join(f"{evals[u]:>11.2f}" if u in evals else f"{'-':>11}" for u in COLUMNS)
        final = f"{evals[max(evals)]:.2f} ({max(evals)})" if evals else "-"
        times = [m["perf/rollout_s"] + m["perf/update_s"] for m in metrics]
        per_update = f"{statistics.median(times):.2f}" if times else "-"
        rows.append(f"{seed:<5}{cells}{final:>16}{per_update:>10}")
    rows.append(f"machine: {machine()}")
    return "\n".join(rows)


def seconds_per_update(start_from: str, overrides: list[str], updates: int, first_update: int) -> float:
    """Rollout + PPO seconds per update (median of ``updates``) from a checkpoint's weights."""
    import tempfile

    import torch

    sys.path.insert(0, str(ROOT))
    from training import checkpoint
    from training.config import load_config
    from training.agent_factory import build_trainable
    from training.trainer import Trainer

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as out:
        config = load_config(None, [
            "train.eval_every=0", "train.max_minutes=null", "train.checkpoint_every=0", "log.progress_bar=false",
            "log.tensorboard=false", f"train.output_dir={out}", f"train.updates={first_update + updates}", *overrides,
        ])
        trainer = Trainer(config, build_trainable(config))
        trainer.agent.load_state_dict(checkpoint.load(start_from)[0])
        trainer.update = first_update  # fresh tasks, not those the checkpoint saw
        times = [sum(trainer.train_one()[k] for k in ("perf/rollout_s", "perf/update_s")) for _ in range(updates)]
    return statistics.median(times)


def speed(start_from: str, overrides: list[str], against: list[str], updates: int, repeats: int = 3) -> str:
    totals: dict[str, list[float]] = {"recipe": [], "against": []}
    for r in range(repeats):
        for name, extra in (("recipe", overrides), ("against", [*overrides, *against])):
            totals[name].append(seconds_per_update(start_from, extra, updates, 10_000 + 100 * r))
    ratios = [b / a for a, b in zip(totals["recipe"], totals["against"])]
    return (
        f"seconds per update from {start_from} (median of {updates} updates, {repeats} alternating tries): recipe "
        f"{statistics.median(totals['recipe']):.2f}, with {' '.join(against)} {statistics.median(totals['against']):.2f}; "
        f"{statistics.median(ratios):.2f}x the recipe's time (per try {', '.join(f'{x:.2f}' for x in ratios)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="runs/main-job-table", help="one run folder per seed: OUT/seedN")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--updates", type=int, default=80, help="updates per seed (the main job's 80; the last column is the last one)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="seeds trained at once (one core each)")
    parser.add_argument("--read-only", action="store_true", help="train nothing; print what the run folders hold")
    parser.add_argument("--speed-from", metavar="CHECKPOINT", help="also time the recipe against the previous one from here")
    parser.add_argument("--speed-against", nargs="+", default=[], metavar="KEY=VALUE", help="the variant to time against")
    parser.add_argument("--speed-updates", type=int, default=5, help="updates per timing try")
    parser.add_argument("--speed-tries", type=int, default=3, help="alternating tries of each recipe")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides for every seed")
    args = parser.parse_args()
    if min(args.updates, args.jobs, args.speed_updates, args.speed_tries) < 1:
        parser.error("--updates, --jobs, --speed-updates and --speed-tries must be at least 1")
    if args.speed_from and not Path(args.speed_from).exists():
        parser.error(f"--speed-from {args.speed_from}: no such run folder or checkpoint")
    if args.speed_from and not args.speed_against:
        parser.error("--speed-from needs --speed-against KEY=VALUE ... (the variant to time the recipe against)")
    runs = {seed: Path(args.out) / f"seed{seed}" for seed in args.seeds}
    # SIGTERM, like Ctrl-C, ends the seeds' runs too (each saves a checkpoint a rerun resumes from).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not args.read_only:
        train_missing(runs, args.updates, args.jobs, args.overrides)
    print(table(runs))
    if args.speed_from:
        print(speed(args.speed_from, args.overrides, args.speed_against, args.speed_updates, args.speed_tries))


if __name__ == "__main__":
    main()
