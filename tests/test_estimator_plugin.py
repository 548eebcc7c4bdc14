"""The plugin example's RLOO estimator: golden numbers, and one update through `agora train` via its entry point."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "examples" / "agora-plugin-example"


@pytest.fixture(scope="module")
def rloo_advantages():
    # by file, not through the package: its __init__ and a stale egg-info would load its env plugin here
    spec = importlib.util.spec_from_file_location("example_rloo", PLUGIN / "agora_plugin_example" / "rloo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.rloo_advantages


def columns(episodes):
    """{episode: (group, [rewards by turn])} -> step columns."""
    cols = {"episode_id": [], "group_id": [], "turn": [], "obs": [], "reward": []}
    for episode, (group, rewards) in episodes.items():
        for turn, reward in enumerate(rewards):
            for name, value in zip(cols, (episode, group, turn, f"o{turn}", reward)):
                cols[name].append(value)
    return cols


def test_rloo_golden(rloo_advantages):
    batch = columns({"A": ("g", [0.0, 1.0]), "B": ("g", [0.0]), "C": ("g", [0.25, 0.25, 0.0]),
                     "D": ("h", [0.5]),  # alone in its group
                     "E": ("k", [0.1, 0.2]), "F": ("k", [0.3])})  # 0.30000000000000004 and 0.3: tied
    # group g scores [1, 0, .5]: A 1 - (0 + .5)/2 = .75, B 0 - (1 + .5)/2 = -.75, C .5 - (1 + 0)/2 = 0
    expected = [0.75, 0.75, -0.75, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    got = rloo_advantages(batch)
    np.testing.assert_allclose(got, expected, atol=1e-15)
    assert np.all(got[3:] == 0.0)  # exactly: C's score is the others' mean, D has no baseline, E/F tie


def test_rloo_is_the_leave_one_out_mean_for_random_groups(rloo_advantages):
    rng = np.random.default_rng(0)
    scores = rng.normal(size=5)
    got = rloo_advantages({"episode_id": list(range(5)), "group_id": [0] * 5, "turn": [0] * 5,
                           "obs": ["o"] * 5, "reward": list(scores)})
    loop = [s - np.mean(np.delete(scores, i)) for i, s in enumerate(scores)]
    np.testing.assert_allclose(got, loop, atol=1e-12)


def install_plugin(target: Path) -> dict:
    """Install the example for real (its pyproject's entry points) into a folder; the env to see it."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(PLUGIN)],
        check=True, capture_output=True,
    )
    return {**os.environ, "PYTHONPATH": f"{target}:{ROOT}"}


def train_one_update(tmp_path, env, name, *overrides):
    config = tmp_path / "tiny.yaml"
    config.write_text(
        "env: agora/LostSalesText-v0\nenv_kwargs: {periods: 8}\nrollout: {tasks_per_batch: 2, group_size: 3}\n"
        "train: {updates: 1, eval_episodes: 2, eval_every: 0}\nlog: {progress_bar: false, tensorboard: false}\n"
    )
    out = tmp_path / name
    done = subprocess.run(
        [sys.executable, "-m", "training.cli", "train", "--config", str(config), *overrides, f"train.output_dir={out}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["update"] for r in rows] == [1]
    return out, rows[0]


def test_plugin_estimator_trains_one_update_through_agora_train(tmp_path):
    env = install_plugin(tmp_path / "site")
    run, rloo = train_one_update(tmp_path, env, "rloo", "algorithm.estimator=rloo")
    assert "estimator: rloo" in (run / "config.yaml").read_text()
    assert (run / "checkpoints" / "latest").is_file()
    # The same first batch (its seed depends on the update only) under Dr. GRPO, the group-centred
    # score: RLOO's leave-one-out advantage is G / (G - 1) = 1.5 times it, so the logs tell them apart.
    _, centred = train_one_update(tmp_path, env, "drgrpo", "algorithm.estimator=grpo", "algorithm.norm_mode=mean_norm")
    assert centred["train/reward"] == rloo["train/reward"] and centred["adv/abs_max"] > 0
    for stat in ("adv/std", "adv/abs_max"):
        assert rloo[stat] == pytest.approx(1.5 * centred[stat], rel=1e-9)


def test_unknown_estimator_names_the_closest_and_lists_the_registered(tmp_path, monkeypatch, capsys):
    from training.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OMP_NUM_THREADS", str(os.environ.get("OMP_NUM_THREADS", "")))  # leave torch's threads be
    assert main(["train", "algorithm.estimator=hgp"]) == 2
    err = capsys.readouterr().err
    assert "unknown estimator 'hgp' (did you mean 'hgpo'?); registered: drmas, gigpo, grpo, hgpo" in err
    assert "Traceback" not in err and not (tmp_path / "runs").exists()
