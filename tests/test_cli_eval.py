"""`agora eval` checks every argument before the first episode, names each row uniquely, writes
one trajectory file per row as it plays, and never overwrites results unless asked."""

import json
from pathlib import Path

import pytest

import envs
import training.evaluation
from training.cli import main
from training.eval_args import unique_labels
from training.records import read_jsonl

LOST_SALES = "agora/LostSalesText-v0"
TINY_RUN = [
    "env=agora/LostSalesText-v0", "env_kwargs.periods=8", "rollout.tasks_per_batch=2", "rollout.group_size=2",
    "train.eval_episodes=2", "train.updates=1", "algorithm.ppo_epochs=2", "log.progress_bar=false", "log.tensorboard=false",
]


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """Two trained tiny policies, both in folders named `run` (their names alone read alike)."""
    root = tmp_path_factory.mktemp("runs")
    for seed in (0, 1):
        assert main(["train", *TINY_RUN, f"train.seed={seed}", f"train.output_dir={root / str(seed) / 'run'}"]) == 0
    return [str(root / "0" / "run"), str(root / "1" / "run")]


@pytest.fixture
def episodes_played(monkeypatch):
    """Counts the batches evaluation plays, to tell checks before work from failures during it."""
    calls = []
    real = training.evaluation.rollout

    def counting(*args, **kwargs):
        calls.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(training.evaluation, "rollout", counting)
    return calls


def summary(out):
    return json.loads((Path(out) / "summary.json").read_text())


@pytest.mark.parametrize("model_form", ["one_flag", "two_flags"])
def test_two_tiny_policies_get_unique_labels_model_paths_and_own_trajectories(tmp_path, tiny_runs, model_form):
    out = tmp_path / "eval"
    a, b = tiny_runs
    models = ["--model", a, b] if model_form == "one_flag" else ["--model", a, "--model", b]
    assert main(["eval", "--env", LOST_SALES, "--policy", "tiny", "tiny", *models, "--episodes", "2", "--out", str(out)]) == 0
    rows = summary(out)
    assert [r["label"] for r in rows] == [f"tiny:{a}", f"tiny:{b}"]
    assert [r["model"] for r in rows] == [a, b]
    files = [r["trajectories"] for r in rows]
    assert len(set(files)) == 2 and sorted(p.name for p in out.glob("trajectories_*.jsonl")) == sorted(files)
    played = [read_jsonl(out / f) for f in files]
    assert all(len({r.episode_id for r in rows}) == 2 for rows in played)
    # Different weights pick differently somewhere: the second file is not the first one again.
    assert [r.action for r in played[0]] != [r.action for r in played[1]]


def test_unique_labels_use_names_then_paths_then_numbers():
    pairs = [("expert", None), ("tiny", "runs/a"), ("tiny", "runs/b"), ("tiny", "x/a"), ("random", None), ("random", None)]
    assert unique_labels(pairs) == ["expert", "tiny:runs/a", "tiny:b", "tiny:x/a", "random#1", "random#2"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--env", "agora/Household-v0", "--policy", "random", "--episodes", "181"], "more than split"),
        (["--env", "agora/Household-v0", "--policy", "random", "--episodes", "0"], "--episodes must be >= 1"),
        (["--env", LOST_SALES, "--policy", "expert", "tiny"], "--policy tiny needs a --model"),
        (["--env", LOST_SALES, "--policy", "expert", "--temperature", "-1"], "--temperature"),
        (["--env", LOST_SALES, "--policy", "expert", "--max-turns", "0"], "--max-turns"),
        (["--env", LOST_SALES, "--policy", "expert", "--split", "train"], "no task splits"),
        (["--env", "agora/Household-v0", "--policy", "expert", "--split", "nope"], "--split 'nope'"),
        (["--env", LOST_SALES, "--policy", "expert", "hf", "--model", "/no/such/model"], "not found"),
        (["--env", LOST_SALES, "--policy", "expert", "openai", "--model", "m"], "needs --base-url"),
        (["--env", LOST_SALES, "--policy", "expert", "--base-url", "http://localhost:1/v1"], "for --policy openai only"),
        (["--env", LOST_SALES, "--policy", "expert", "chess"], "unknown policy"),
        (["--env", LOST_SALES, "--policy", "expert", "--model", "extra"], "1 --model values for 0"),
    ],
)
def test_eval_checks_every_argument_before_the_first_episode(tmp_path, capsys, episodes_played, args, message):
    out = tmp_path / "eval"
    assert main(["eval", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert episodes_played == [] and not out.exists()


def test_a_missing_model_for_a_later_policy_fails_before_the_first_policy_plays(tmp_path, capsys, episodes_played, tiny_runs):
    out = tmp_path / "eval"
    assert main(["eval", "--env", LOST_SALES, "--policy", "tiny", "tiny", "--model", tiny_runs[0], "--out", str(out)]) == 2
    assert "--policy tiny needs a --model" in capsys.readouterr().err
    assert episodes_played == [] and not out.exists()


def test_an_interrupted_evaluation_keeps_what_was_played(tmp_path, capsys, monkeypatch):
    played = []
    real = training.evaluation.rollout

    def interrupted_on_the_third_batch(*args, **kwargs):
        if len(played) == 2:
            raise KeyboardInterrupt
        played.append(real(*args, **kwargs))
        return played[-1]

    monkeypatch.setattr(training.evaluation, "rollout", interrupted_on_the_third_batch)
    out = tmp_path / "eval"
    args = ["eval", "--env", LOST_SALES, "--policy", "random", "expert", "--episodes", "2", "--seeds", "0", "1"]
    assert main([*args, "--out", str(out)]) == 130  # Ctrl-C while the second policy plays
    assert "what was played is in" in capsys.readouterr().err
    (row,) = summary(out)
    assert row["label"] == "random" and row["episodes"] == 4
    assert len(read_jsonl(out / row["trajectories"])) == len(played[0]) + len(played[1])
    assert not (out / "trajectories_02_expert.jsonl").exists()  # started, no batch finished

    monkeypatch.setattr(training.evaluation, "rollout", real)
    before = (out / "summary.json").read_text()
    assert main([*args, "--out", str(out)]) == 2  # an existing result is never overwritten unasked
    assert "--overwrite" in capsys.readouterr().err and (out / "summary.json").read_text() == before
    assert main([*args, "--out", str(out), "--overwrite"]) == 0
    assert [r["label"] for r in summary(out)] == ["random", "expert"]


def test_trajectories_hold_the_reply_text_and_the_final_observation(tmp_path):
    out = tmp_path / "eval"
    assert main(["eval", "--env", LOST_SALES, "--policy", "expert", "--episodes", "1", "--out", str(out)]) == 0
    rows = read_jsonl(out / summary(out)[0]["trajectories"])
    assert all(r.info["reply"] == r.action for r in rows)  # the expert's reply is its action
    assert [r.done for r in rows].count(True) == 1 and "final_obs" in rows[-1].info
    # Replayed independently: the same actions from the panel's first task end in that observation.
    task = training.evaluation.eval_panel(LOST_SALES, None, 1)[0]
    env = envs.make(LOST_SALES)
    obs, _ = env.reset(seed=task.seed, options=task.options)
    for r in rows:
        assert r.obs == obs
        obs, *_ = env.step(r.action)
    assert rows[-1].info["final_obs"] == obs != rows[-1].obs
