"""Small things a new user meets first: a local OpenAI-compatible server without a key, setup
errors in one line, `envs show` on a pipe, documented eval flags, config errors that say where
the bad value came from."""

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.test_backends_openai import ChatServer
from training.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
LOST_SALES = "agora/LostSalesText-v0"


@pytest.fixture
def server():
    srv = ChatServer()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()


def eval_openai(base_url, out, *extra):
    return main(["eval", "--env", LOST_SALES, "--policy", "openai", "--model", "tiny", "--base-url", base_url,
                 "--episodes", "1", "--max-turns", "2", "--out", str(out), *extra])


def test_openai_policy_needs_no_key_for_a_local_server(server, tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert eval_openai(server.base_url, tmp_path / "a") == 0
    assert server.requests and all(r["auth"] is None for r in server.requests)
    server.requests.clear()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local")  # set: it is sent
    assert eval_openai(server.base_url, tmp_path / "b") == 0
    assert {r["auth"] for r in server.requests} == {"Bearer sk-local"}
    # A variable named on purpose but unset is a mistake, caught before any request.
    server.requests.clear()
    assert eval_openai(server.base_url, tmp_path / "c", "--api-key-env", "AGORA_NO_SUCH_KEY") == 2
    assert server.requests == [] and not (tmp_path / "c").exists()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_server_is_one_line(tmp_path, capsys):
    assert eval_openai(f"http://127.0.0.1:{closed_port()}/v1", tmp_path / "e") == 2
    err = capsys.readouterr().err
    (line,) = [line for line in err.splitlines() if line.startswith("agora:")]
    assert "cannot reach" in line and "Traceback" not in err
    assert not (tmp_path / "e").exists()  # nothing played: no result folder to refuse next time


def test_a_missing_hf_model_is_one_line_before_any_work(tmp_path, capsys):
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    for args in (
        ["train", "policy.backend=hf", f"policy.model={empty}", f"train.output_dir={tmp_path / 'run'}"],
        ["train", "policy.backend=hf", "policy.model=/no/such/model", f"train.output_dir={tmp_path / 'run'}"],
        ["eval", "--env", LOST_SALES, "--policy", "hf", "--model", str(empty), "--out", str(tmp_path / "ev")],
    ):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and ("config.json" in err or "not found" in err)
    assert not (tmp_path / "run").exists() and not (tmp_path / "ev").exists()


def test_envs_show_counts_a_text_charset_and_survives_a_closed_pipe():
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the first line, as `| head -0` would
    shown = subprocess.run(
        [sys.executable, "-m", "training.cli", "envs", "show", "agora/Household-v0"], stdout=write_end,
        stderr=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120,
    )
    os.close(write_end)
    assert shown.returncode == 0 and shown.stderr == ""


def test_envs_show_prints_a_text_space_without_its_charset(capsys):
    assert main(["envs", "show", "agora/Household-v0"]) == 0
    out = capsys.readouterr().out
    action = next(line for line in out.splitlines() if line.startswith("action:"))
    assert action == "action:      Text(min_length=0, max_length=4096, charset: 100 characters)"
    assert "abcdefghij" not in out.split("--- sample transcript")[0]


def test_eval_help_documents_env_episodes_and_temperature():
    ev = build_parser()._subparsers._group_actions[0].choices["eval"]
    documented = {a.dest: a.help for a in ev._actions}
    for flag in ("env", "episodes", "temperature", "model", "overwrite"):
        assert documented[flag], f"--{flag} has no help"


def test_config_errors_say_where_the_bad_value_came_from(tmp_path, capsys):
    assert main(["train", "rollout.group_size=0", f"train.output_dir={tmp_path / 'a'}"]) == 2
    err = capsys.readouterr().err
    assert "command-line override" in err and "rollout.group_size" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("rollout:\n  group_size: 0\n")
    assert main(["train", "--config", str(bad), "train.updates=1", f"train.output_dir={tmp_path / 'b'}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"agora: {bad}: invalid config") and "command-line" not in err


def test_train_checks_env_and_splits_before_work_and_says_where_they_came_from(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "train.eval_split=nope", f"train.output_dir={out}"]) == 2
    assert "train.eval_split='nope' (from the command line)" in capsys.readouterr().err
    file = tmp_path / "c.yaml"
    file.write_text("env: agora/Household-v0\nrollout:\n  split: nope\n")
    assert main(["train", "--config", str(file), f"train.output_dir={out}"]) == 2
    assert f"rollout.split='nope' (from {file})" in capsys.readouterr().err
    assert main(["train", "env=agora/Nope-v0", f"train.output_dir={out}"]) == 2
    assert "Unknown environment" in capsys.readouterr().err
    assert not out.exists()  # checked before the run folder was set up


def test_overrides_may_follow_an_option():
    from training.cli import parse

    args = parse(build_parser(), ["train", "a.b=1", "--overwrite", "rollout.group_size=2", "train.seed=3"])
    assert args.overwrite and args.overrides == ["a.b=1", "rollout.group_size=2", "train.seed=3"]
    args = parse(build_parser(), ["config", "--config", "household_tiny", "train.seed=3"])
    assert args.overrides == ["train.seed=3"]


@pytest.mark.parametrize("argv", [["train", "--overwrite", "--no-such-flag"], ["eval", "x=1", "--env", "agora/Household-v0", "--policy", "random"]])
def test_unknown_arguments_are_still_refused(argv, capsys):
    from training.cli import parse

    with pytest.raises(SystemExit) as stop:
        parse(build_parser(), argv)
    assert stop.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err
