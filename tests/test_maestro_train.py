"""`agora train` and `agora eval` on agora/Maestro-v0 with the tiny policy (the ppo trainer, GRPO
groups): a short run trains, and evaluation reports calls and cost per episode with intervals."""

import json

import pytest

from training.cli import main


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("maestro") / "run"
    assert main(["train", "--config", "maestro_tiny", "train.updates=2", "rollout.tasks_per_batch=4",
                 "train.eval_episodes=10", "train.eval_every=0", "train.checkpoint_every=0",
                 f"train.output_dir={out}", "log.progress_bar=false"]) == 0
    return out


def test_a_short_run_logs_calls_and_cost(short_run):
    rows = [json.loads(line) for line in (short_run / "metrics.jsonl").read_text().splitlines()]
    assert [r["update"] for r in rows] == [1, 2]
    assert {"eval/success", "eval/calls", "eval/cost"} <= set(rows[-1])
    assert 0 <= rows[-1]["eval/calls"] <= 4  # max_calls


def test_agora_eval_reports_calls_and_cost_per_episode(short_run, tmp_path, capsys):
    out = tmp_path / "eval"
    assert main(["eval", "--env", "agora/Maestro-v0", "--policy", "tiny", "expert", "--model", str(short_run),
                 "--split", "test", "--episodes", "12", "--out", str(out)]) == 0
    assert "calls" in capsys.readouterr().out
    tiny, expert = json.loads((out / "summary.json").read_text())
    assert set(tiny["metrics"]) == set(expert["metrics"]) == {"calls", "cost"}
    # The scripted expert makes exactly one call (the best value for money), then answers.
    assert expert["metrics"]["calls"]["mean"] == 1.0
    assert expert["metrics"]["cost"]["low"] <= expert["metrics"]["cost"]["mean"] <= expert["metrics"]["cost"]["high"]
