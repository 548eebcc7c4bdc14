"""The CLI under a few hundred random argument lists: valid and invalid values for `train`,
`eval`, `play` and `envs`, drawn with a fixed seed. None may end in a traceback or leave a process
behind; an invalid one must fail with exit 2 during validation, before any episode is played or
any output folder is created; a valid one must succeed."""

from __future__ import annotations

import io
import random
import sys

import pytest

import envs
import training.evaluation
from training.cli import main

psutil = pytest.importorskip("psutil")

CASES = 300
LOST_SALES = "agora/LostSalesText-v0"
TINY_TRAIN = [
    "env=agora/LostSalesText-v0", "env_kwargs.periods=3", "rollout.tasks_per_batch=1", "rollout.group_size=2",
    "train.eval_episodes=1", "train.updates=1", "log.progress_bar=false", "log.tensorboard=false",
]


def pick(rng, valid, invalid, p_invalid=0.12):
    """(argument tokens, is_valid): usually one of ``valid``, sometimes one of ``invalid``."""
    if invalid and rng.random() < p_invalid:
        return list(rng.choice(invalid)), False
    return list(rng.choice(valid)), True


def eval_case(rng, out):
    env = rng.choice([LOST_SALES, "agora/Household-v0"])
    household = env == "agora/Household-v0"
    slots = [
        pick(rng, [["--env", env]], [["--env", "agora/Nope-v0"], ["--env", "nonsense"], []]),
        pick(rng, [["--policy", "expert"], ["--policy", "random"], ["--policy", "expert", "random"]],
             [["--policy", "chess"], ["--policy", "expert", "tiny"], ["--policy"], ["--policy", "openai", "--model", "m"]]),
        pick(rng, [["--episodes", "1"], ["--episodes", "2"]],
             [["--episodes", "0"], ["--episodes", "-3"], ["--episodes", "two"]] + ([["--episodes", "181"]] if household else [])),
        pick(rng, [["--max-turns", "2"], ["--max-turns", "3"]], [["--max-turns", "0"], ["--max-turns", "-1"]]),
        pick(rng, [[], ["--temperature", "0"], ["--temperature", "0.7"]],
             [["--temperature", "-1"], ["--temperature", "nan"], ["--temperature", "hot"]]),
        pick(rng, [[], ["--memory-k", "1"]], [["--memory-k", "-1"]]),
        pick(rng, [[], ["--max-tokens", "16"]], [["--max-tokens", "0"]]),
        pick(rng, [[], ["--seeds", "0"], ["--seeds", "0", "1"]], [["--seeds", "a"], ["--seeds"]]),
        pick(rng, [[], ["--split", "eval_out_of_distribution"]] if household else [[]],
             [["--split", "nope"]] if household else [["--split", "train"]]),
        pick(rng, [[]], [["--model", "extra"], ["--base-url", "http://127.0.0.1:9/v1"], ["--bogus"],
                         ["--api-key-env", "AGORA_FUZZ_UNSET_KEY"]]),
    ]
    argv = ["eval", *[t for tokens, _ in slots for t in tokens], "--out", str(out)]
    return argv, all(ok for _, ok in slots)


def train_case(rng, out, existing_run):
    slots = [
        pick(rng, [[]], [["rollout.group_size=0"], ["rollout.nope=1"], ["train.updates=-1"], ["algorithm.estimator=magic"],
                         ["novalue"], ["=3"], ["env=agora/Nope-v0"], ["env=agora/Household-v0", "train.eval_split=nope"], ["--bogus"],
                         ["--config", "no_such_config"], ["--allow-recipe-change"], ["policy.backend=hf", "policy.model=/no/model"],
                         ["--resume", str(out.parent / "no_run")], ["--resume", str(existing_run), "--overwrite"],
                         ["train.output_dir=" + str(existing_run)], ["rollout.max_turns=x"]], p_invalid=0.97),
    ]
    argv = ["train", *TINY_TRAIN, f"train.output_dir={out}", *[t for tokens, _ in slots for t in tokens]]
    return argv, all(ok for _, ok in slots)


def envs_case(rng):
    ids = [s.id for s in envs.list_envs() if s.family != "test"]
    return rng.choice([
        (["envs", "list"], True), (["envs", "show", rng.choice(ids)], True),
        (["envs", "show", rng.choice(ids), "--seed", str(rng.randrange(5))], True),
        (["envs", "show", "agora/Nope-v0"], False), (["envs"], False), (["envs", "frob"], False),
        (["envs", "show", rng.choice(ids), "--seed", "x"], False),
    ])


def play_case(rng):
    ids = [s.id for s in envs.list_envs() if s.family != "test" and s.engine == "native"]
    lines = [rng.choice(["1", "2", "0", "99", "look", "", "[0.2]", "1 2 3", "go to sink 1", "-5", "nan", "é✓", "x" * 300])
             for _ in range(rng.randrange(0, 6))]
    stdin = "\n".join(lines) + ("\nquit\n" if rng.random() < 0.5 else "")
    case = rng.choice([(["play", rng.choice(ids)], None), (["play", rng.choice(ids), "--seed", "3"], None),
                       (["play", "agora/Nope-v0"], False), (["play"], False), (["play", rng.choice(ids), "--seed", "?"], False)])
    return case[0], case[1], stdin


def run(argv, capsys, monkeypatch, stdin=""):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse rejects its own way
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.err


def test_random_command_lines_end_cleanly(tmp_path, capsys, monkeypatch):
    played = []
    real = training.evaluation.rollout

    def counting(*args, **kwargs):
        played.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(training.evaluation, "rollout", counting)
    existing_run = tmp_path / "existing"
    assert main(["train", *TINY_TRAIN, f"train.output_dir={existing_run}"]) == 0
    capsys.readouterr()

    rng = random.Random(20261201)
    kinds = rng.choices(["eval", "train", "envs", "play"], weights=[45, 15, 15, 25], k=CASES)
    seen = {"valid": 0, "invalid": 0}
    before = {child.pid for child in psutil.Process().children(recursive=True)}  # earlier tests' pools
    for number, kind in enumerate(kinds):
        out = tmp_path / f"case{number}"
        stdin = ""
        if kind == "eval":
            argv, valid = eval_case(rng, out)
        elif kind == "train":
            argv, valid = train_case(rng, out, existing_run)
        elif kind == "envs":
            argv, valid = envs_case(rng)
        else:
            argv, valid, stdin = play_case(rng)
        played.clear()
        code, err = run(argv, capsys, monkeypatch, stdin)
        where = f"case {number}: agora {' '.join(argv)}\n{err[-2000:]}"
        assert "Traceback" not in err, where
        assert code in (0, 2), where
        if valid is not None:
            seen["valid" if valid else "invalid"] += 1
            assert code == (0 if valid else 2), where
        if valid is False:
            assert played == [] and not out.exists(), f"work started before the arguments were checked: {where}"
    assert seen["valid"] > 50 and seen["invalid"] > 50, seen
    left = [child for child in psutil.Process().children(recursive=True) if child.pid not in before]
    assert left == [], [child.cmdline() for child in left]
