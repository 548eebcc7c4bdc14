"""The main job's bookkeeping: the budget's update estimate and scripts/main_job_table.py's table."""

import importlib.util
import json
from pathlib import Path

from training.config import load_config
from training.agent_factory import build_trainable
from training.trainer import Trainer, updates_that_fit

ROOT = Path(__file__).resolve().parents[1]


def test_updates_that_fit_the_budget_at_the_pace_so_far():
    # 5 updates in 30 s (6 s each) after a 10 s start: 530 s left fit 88.3 more, so 94 in all.
    assert updates_that_fit(5, 5, 30.0, 40.0, 570.0, 1000) == 94
    assert updates_that_fit(5, 5, 30.0, 40.0, 570.0, 60) == 60  # never more than planned
    assert updates_that_fit(12, 2, 12.0, 600.0, 570.0, 1000) == 12  # past the budget: what is done
    assert updates_that_fit(12, 2, 12.0, 30.0, 570.0, 1000) == 12 + 90  # a resumed run: its own pace


def test_agora_train_prints_the_estimate_after_five_updates(tmp_path, capsys):
    config = load_config(None, [
        "env=agora/LostSalesText-v0", "env_kwargs.periods=4", "rollout.tasks_per_batch=2", "rollout.group_size=2",
        "train.updates=6", "train.eval_every=0", "train.eval_episodes=2", "train.checkpoint_every=0",
        "train.max_minutes=10", "log.tensorboard=false", f"train.output_dir={tmp_path}",
    ])
    Trainer(config, build_trainable(config)).run()
    err = capsys.readouterr().err
    assert "s per update so far, ~6 updates fit in the 10-minute budget (train.max_minutes)" in err
    assert "time budget, ~6 updates fit" in err  # the bar's label


def load_script():
    spec = importlib.util.spec_from_file_location("main_job_table", ROOT / "scripts" / "main_job_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_table_reads_success_at_fixed_updates_and_the_median_seconds(tmp_path):
    script = load_script()
    run = tmp_path / "seed0"
    run.mkdir()
    rows = []
    for update in range(1, 91):
        m = {"update": update, "perf/rollout_s": 1.0, "perf/update_s": 2.0 + (update == 7) * 50}
        if update % 20 == 0 or update == 90:
            m["eval/success"] = update / 100
        rows.append(json.dumps(m))
    (run / "metrics.jsonl").write_text("\n".join(rows) + "\n")
    text = script.table({0: run, 1: tmp_path / "seed1"})
    seed0 = next(line for line in text.splitlines() if line.startswith("0 "))
    assert seed0.split() == ["0", "0.20", "0.40", "0.60", "0.80", "0.90", "(90)", "3.00"]  # the one slow update is no median
    seed1 = next(line for line in text.splitlines() if line.startswith("1 "))
    assert seed1.split() == ["1", "-", "-", "-", "-", "-", "-"]  # no run yet
    # A stopped run is resumed with the requested update count, a missing one started fresh.
    (run / "checkpoints").mkdir()
    (run / "checkpoints" / "latest").write_text("update_000090")
    assert script.train_command(run, 0, 100, [])[4:6] == ["--resume", str(run)]
    assert "train.seed=1" in script.train_command(tmp_path / "seed1", 1, 100, [])
