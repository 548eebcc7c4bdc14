"""The trainer end to end with the tiny policy: learning signal, logs, checkpoints, kill-and-resume."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from training.config import load_config
from training.agent_factory import build_trainable
from training.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]
SMALL = [
    "env=agora/LostSalesText-v0",
    "env_kwargs.periods=8",
    "rollout.tasks_per_batch=2",
    "rollout.group_size=2",
    "train.eval_episodes=2",
    "train.eval_every=2",
    "train.checkpoint_every=1",
    "log.progress_bar=false",
    "log.tensorboard=false",
]


def run_cli(args, out_dir, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "training.cli", "train", *args, f"train.output_dir={out_dir}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs,
    )


def metrics(run_dir):
    rows = [json.loads(line) for line in (Path(run_dir) / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in m.items() if not k.startswith("perf/")} for m in rows]


def test_killed_run_resumes_to_the_same_metrics(tmp_path):
    updates = "train.updates=4"
    straight = run_cli([*SMALL, updates], tmp_path / "straight")
    assert straight.wait(timeout=600) == 0, straight.stderr.read().decode()

    killed_dir = tmp_path / "killed"
    victim = run_cli([*SMALL, updates], killed_dir)
    latest = killed_dir / "checkpoints" / "latest"
    deadline = time.time() + 600
    while time.time() < deadline:
        if latest.is_file() and latest.read_text().strip() == "update_000002":
            break
        assert victim.poll() is None, "the run ended before it could be killed"
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    resumed = subprocess.run(
        [sys.executable, "-m", "training.cli", "train", "--resume", str(killed_dir)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stderr
    assert metrics(killed_dir) == metrics(tmp_path / "straight")
    assert len(metrics(killed_dir)) == 4
    assert (killed_dir / "learning_curve.png").stat().st_size > 1000


def test_one_update_changes_the_weights_and_logs(tmp_path):
    config = load_config(None, [*SMALL, "train.updates=1", "algorithm.recompute_old_logprobs=true", f"train.output_dir={tmp_path}"])
    agent = build_trainable(config)
    before = {k: v.clone() for k, v in agent.state_dict()["tensors"].items()}
    trainer = Trainer(config, agent)
    history = trainer.run()
    after = agent.state_dict()["tensors"]
    assert any(not after[k].equal(before[k]) for k in before)
    m = history[-1]
    for key in ("train/success", "loss/policy_loss", "loss/entropy", "loss/clip_fraction", "loss/grad_norm", "adv/std", "eval/success"):
        assert key in m
    assert m["loss/logprob_mismatch"] < 1e-4  # the trainer re-scores exactly what the sampler drew
    assert (tmp_path / "checkpoints" / "update_000001" / "model.safetensors").is_file()


def test_resume_of_a_folder_without_a_run_is_a_clear_error(tmp_path, capsys):
    from training.cli import main

    assert main(["train", "--resume", str(tmp_path)]) == 2
    assert "not a training run folder" in capsys.readouterr().err


def test_skip_zero_advantage_trains_on_the_nonzero_rows_only(tmp_path):
    """Rows with advantage exactly 0 are left out of the PPO passes; an all-zero batch changes nothing."""
    import numpy as np

    config = load_config(None, [*SMALL, "algorithm.skip_zero_advantage=true", "algorithm.recompute_old_logprobs=true",
                                f"train.output_dir={tmp_path}"])
    agent = build_trainable(config)
    trainer = Trainer(config, agent)
    records = trainer.collect(0)
    seen = []
    scorer = agent.token_scores

    def counting(prompts, responses, extras):
        seen.append(len(prompts))
        return scorer(prompts, responses, extras)

    agent.token_scores = counting
    advantages = np.zeros(len(records))
    advantages[[0, 3]] = [1.0, -1.0]
    trainer.optimize(records, advantages, 0)
    # The old-policy pass, then one minibatch per PPO epoch, all over the two nonzero rows.
    assert seen == [2] * (1 + config.algorithm.ppo_epochs)

    seen.clear()
    before = {k: v.clone() for k, v in agent.state_dict()["tensors"].items()}
    stats = trainer.optimize(records, np.zeros(len(records)), 1)
    assert seen == [] and stats.grad_norm == 0.0
    assert all(v.equal(before[k]) for k, v in agent.state_dict()["tensors"].items())


def test_evaluation_plays_the_training_env_configuration(tmp_path):
    """The eval panel uses env_kwargs (here an 8-period horizon), with train.eval_env_kwargs on top."""
    config = load_config(None, [*SMALL, f"train.output_dir={tmp_path}"])
    assert Trainer(config, build_trainable(config)).evaluate().length.mean == 8
    config = load_config(None, [*SMALL, "train.eval_env_kwargs.periods=5", f"train.output_dir={tmp_path}"])
    assert Trainer(config, build_trainable(config)).evaluate().length.mean == 5


def test_sampler_logprobs_as_old_policy_give_the_same_update(tmp_path):
    """The tiny sampler's log-probs are exact, so skipping the re-scoring pass changes nothing."""
    import torch

    from training.trainer import compute_advantages

    results = []
    for recompute in (True, False):
        config = load_config(None, [*SMALL, f"algorithm.recompute_old_logprobs={str(recompute).lower()}",
                                    f"train.output_dir={tmp_path / str(recompute)}"])
        trainer = Trainer(config, build_trainable(config))
        records = trainer.collect(0)
        stats = trainer.optimize(records, compute_advantages(records, config), 0)
        results.append((trainer.agent.state_dict()["tensors"], stats))
    (first, stats_first), (second, stats_second) = results
    assert stats_first.logprob_mismatch < 1e-6 and stats_second.logprob_mismatch != stats_second.logprob_mismatch  # nan
    assert all(torch.allclose(first[k], second[k], atol=1e-6) for k in first)
    assert any(not torch.equal(first[k], build_trainable(config).state_dict()["tensors"][k]) for k in first)


def test_eval_finds_the_run_a_model_folder_or_checkpoint_belongs_to(tmp_path):
    from training.agent_factory import trained_run
    from training.config import dump_config

    run = tmp_path / "run"
    (run / "checkpoints" / "update_000001").mkdir(parents=True)
    (run / "config.yaml").write_text(dump_config(load_config(None, ["rollout.memory_k=17", "rollout.max_turns=23"])))
    for model in (run, run / "checkpoints" / "update_000001"):
        trained = trained_run(str(model)).rollout
        assert (trained.memory_k, trained.max_turns) == (17, 23)
    assert trained_run(None) is None and trained_run(str(tmp_path / "elsewhere")) is None


def test_progress_bar_counts_the_time_budget_when_the_run_has_one(tmp_path, capsys):
    from training.config import LogConfig
    from training.metrics_log import MetricsLog

    log = MetricsLog(tmp_path, LogConfig(tensorboard=False, progress_bar=True))
    bar = log.progress(1000, seconds=570)  # updates: 1000, max_minutes: 9.5
    assert (bar.total, bar.desc) == (570, "time budget")
    log.write({"update": 1, "train/success": 0.5}, bar, elapsed_s=3.4)
    log.write({"update": 2, "train/success": 0.5}, bar, elapsed_s=6.6)
    assert bar.n == 7
    log.write({"update": 3, "train/success": 0.5}, bar, elapsed_s=900.0)  # the last update overruns the budget
    assert bar.n == 570
    bar.close()
    counting = log.progress(60, initial=10)
    log.write({"update": 11, "train/success": 0.5}, counting)
    assert (counting.total, counting.n) == (60, 11)
    counting.close()
    assert "update=3" in capsys.readouterr().err
