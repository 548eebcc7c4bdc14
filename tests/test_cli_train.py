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

from tests.test_trainer import SMALL as TRAINER_SMALL
from tests.test_trainer import metrics

ROOT = Path(__file__).resolve().parents[1]
SMALL = [a for a in TRAINER_SMALL if not a.startswith("train.checkpoint_every=")]  # each test sets its own


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


def weights(run_dir):
    from safetensors.torch import load_file

    from training import checkpoint

    return load_file(checkpoint.find(run_dir) / "model.safetensors")


@pytest.fixture(scope="module")
def straight_run(tmp_path_factory):
    """Four updates in one go, checkpointed only at the end: what an interrupted run must reproduce."""
    out = tmp_path_factory.mktemp("straight") / "run"
    assert train(out, "train.updates=4", "train.checkpoint_every=0") == 0
    return out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_before_the_first_checkpoint_saves_one_that_resumes_exactly(tmp_path, straight_run, sig, capsys):
    run = tmp_path / "run"
    victim = subprocess.Popen(
        [sys.executable, "-m", "training.cli", "train", *SMALL, "train.updates=4", "train.checkpoint_every=0",
         f"train.output_dir={run}"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    log = run / "metrics.jsonl"
    deadline = time.time() + 300
    while not (log.is_file() and log.read_text().strip()):  # the first update is logged, no checkpoint yet
        assert victim.poll() is None, victim.stderr.read().decode()
        assert time.time() < deadline
        time.sleep(0.02)
    assert not (run / "checkpoints").exists()
    victim.send_signal(sig)
    err = victim.communicate(timeout=300)[1].decode()
    assert victim.returncode == 128 + sig, err
    assert "Traceback" not in err
    assert f"{sig.name}: stopped after update" in err and "checkpoint" in err and "--resume" in err
    stopped_at = len(metrics(run))
    assert 1 <= stopped_at < 4
    assert (run / "checkpoints" / "latest").read_text().strip() == f"update_{stopped_at:06d}"

    capsys.readouterr()
    assert main(["train", "--resume", str(run)]) == 0
    assert f"after update {stopped_at}" in capsys.readouterr().err
    assert metrics(run) == metrics(straight_run)
    ours, reference = weights(run), weights(straight_run)
    assert ours.keys() == reference.keys() and all(ours[k].equal(reference[k]) for k in ours)


def test_a_resume_refuses_a_changed_recipe_unless_allowed_and_records_every_change(tmp_path, capsys):
    run = tmp_path / "run"
    assert train(run, "train.updates=2") == 0
    config_before, metrics_before = (run / "config.yaml").read_text(), metrics(run)
    capsys.readouterr()

    assert main(["train", "--resume", str(run), "algorithm.estimator=grpo", "train.updates=3"]) == 2
    err = capsys.readouterr().err
    assert "algorithm.estimator: 'hgpo' in the run, 'grpo' now" in err and "--allow-recipe-change" in err
    assert "train.updates" not in err.split("recipe:")[1]  # the update budget may change
    assert (run / "config.yaml").read_text() == config_before and metrics(run) == metrics_before

    assert main(["train", "--resume", str(run), "train.updates=3", "log.progress_bar=true"]) == 0
    assert main(["train", "--resume", str(run), "--allow-recipe-change", "algorithm.estimator=grpo",
                 "train.updates=4"]) == 0
    changes = [json.loads(line) for line in (run / "config_changes.jsonl").read_text().splitlines()]
    assert changes == [
        {"update": 2, "key": "log.progress_bar", "from": False, "to": True},
        {"update": 2, "key": "train.updates", "from": 2, "to": 3},
        {"update": 3, "key": "algorithm.estimator", "from": "hgpo", "to": "grpo"},
        {"update": 3, "key": "train.updates", "from": 3, "to": 4},
    ]
    assert "estimator: grpo" in (run / "config.yaml").read_text() and len(metrics(run)) == 4

    finished = metrics(run)
    capsys.readouterr()
    assert main(["train", "--resume", str(run)]) == 0
    assert "nothing to do" in capsys.readouterr().err and metrics(run) == finished
    assert "train.updates" in main_help("train")


def main_help(command):
    from training.cli import build_parser

    return build_parser()._subparsers._group_actions[0].choices[command].format_help()


def strict_rows(path):
    def refuse(constant):
        raise ValueError(f"{path} holds the non-JSON constant {constant}")

    return [json.loads(line, parse_constant=refuse) for line in Path(path).read_text().splitlines()]


def test_metrics_jsonl_is_strict_json_with_null_for_nan(tmp_path):
    # The sampler's own log-probs as the old policy: there is no mismatch to measure (NaN before).
    run = tmp_path / "run"
    assert train(run, "train.updates=1", "algorithm.recompute_old_logprobs=false") == 0
    (row,) = strict_rows(run / "metrics.jsonl")
    assert row["loss/logprob_mismatch"] is None and row["train/success"] is not None
    history = json.loads((run / "checkpoints" / "update_000001" / "history.json").read_text())
    assert history[0]["loss/logprob_mismatch"] is None
