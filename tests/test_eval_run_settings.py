"""`agora eval` of a training run plays the run's env settings and rollout settings, as the
evaluation during training does."""

import json

import pytest

from training.agent_factory import build_trainable
from training.cli import main
from training.config import eval_env_kwargs, eval_rollout, load_config
from training.trainer import Trainer

RUN = [
    "env=agora/LostSalesText-v0",
    "env_kwargs.periods=8",
    "train.eval_env_kwargs.periods=6",  # evaluation plays 6-period episodes
    "rollout.max_turns=5",  # ... capped at 5 turns
    "rollout.memory_k=1",
    "rollout.tasks_per_batch=2",
    "rollout.group_size=2",
    "train.updates=1",
    "train.eval_episodes=2",
    "log.progress_bar=false",
    "log.tensorboard=false",
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    config = load_config(None, [*RUN, f"train.output_dir={out}"])
    trainer = Trainer(config, build_trainable(config))
    trainer.run()
    return out, config


def eval_args(run_dir, out, *extra):
    return ["eval", "--env", "agora/LostSalesText-v0", "--policy", "tiny", "--model", str(run_dir),
            "--episodes", "2", "--out", str(out), *extra]


def test_eval_of_a_run_passes_the_runs_env_and_rollout_settings(run, tmp_path, monkeypatch):
    import training.commands as commands

    run_dir, config = run
    seen = {}
    real = commands.evaluate

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(commands, "evaluate", spy)
    assert main(eval_args(run_dir, tmp_path)) == 0
    assert seen["rollout_config"] == eval_rollout(config)  # what the trainer's own evaluation plays
    assert seen["env_kwargs"] == eval_env_kwargs(config) == {"periods": 6}
    assert seen["rollout_config"].memory_k == 1


def test_eval_of_a_run_plays_episodes_as_long_as_its_settings_say(run, tmp_path):
    run_dir, _ = run
    assert main(eval_args(run_dir, tmp_path / "a")) == 0
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())[0]
    assert summary["length"]["mean"] == 5  # the run's turn cap, below its 6-period eval episodes
    assert main(eval_args(run_dir, tmp_path / "b", "--max-turns", "100")) == 0
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())[0]
    assert summary["length"]["mean"] == 6  # the run's eval_env_kwargs: 6 periods, not the env's default


def test_runs_trained_on_different_env_settings_are_not_compared(run, tmp_path):
    from training.config import ConfigError, runs_env_kwargs

    _, config = run
    other = load_config(None, [*RUN, "train.eval_env_kwargs.periods=7"])
    with pytest.raises(ConfigError, match="different env settings"):
        runs_env_kwargs("agora/LostSalesText-v0", [config, other])
    assert runs_env_kwargs("LostSalesText-v0", [config, config]) == {"periods": 6}
    assert runs_env_kwargs("agora/Household-v0", [config]) == {}  # trained on another env: the env's defaults
