"""`agora train` never loses a run: an existing run folder is refused (or cleared on --overwrite),
SIGINT/SIGTERM save a checkpoint that resumes exactly, a resume refuses a changed recipe."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from training.cli import main

ROOT = Path(__file__).resolve().parents[1]
SMALL = [
    "env=agora/LostSalesText-v0",
    "env_kwargs.periods=8",
    "rollout.tasks_per_batch=2",
    "rollout.group_size=2",
    "train.eval_episodes=2",
    "train.eval_every=2",
    "log.progress_bar=false",
    "log.tensorboard=false",
]


def metrics(run_dir):
    rows = [json.loads(line) for line in (Path(run_dir) / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in m.items() if not k.startswith("perf/")} for m in rows]


def train(out, *extra):
    return main(["train", *SMALL, f"train.output_dir={out}", *extra])


def test_train_into_an_existing_run_is_refused_and_overwrite_clears_it(tmp_path, capsys):
    run = tmp_path / "run"
    assert train(run, "train.updates=2") == 0
    before = (run / "metrics.jsonl").read_text()
    checkpoints = sorted(p.name for p in (run / "checkpoints").iterdir())
    capsys.readouterr()

    assert train(run, "train.updates=1") == 2
    err = capsys.readouterr().err
    assert "already holds a training run" in err and "--resume" in err and "--overwrite" in err
    assert (run / "metrics.jsonl").read_text() == before  # nothing was touched
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == checkpoints

    assert train(run, "train.updates=1", "--overwrite") == 0
    assert len(metrics(run)) == 1
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["latest", "update_000001"]
    assert main(["train", "--resume", str(run), "--overwrite"]) == 2  # contradictory: refused
