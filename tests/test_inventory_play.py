"""`agora play` on the numeric inventory envs: numbers in any common form, bad input explained."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from envs import cli as envs_cli
from training.cli import main

REPO = Path(__file__).resolve().parents[1]


def play(env_id: str, lines: list[str], seed: int = 0) -> tuple[int, str]:
    out = io.StringIO()
    code = envs_cli.play_command(env_id, seed=seed, inp=io.StringIO("".join(f"{x}\n" for x in lines)), out=out)
    return code, out.getvalue()


def periods_played(text: str) -> int:
    return text.count("[reward ")


@pytest.mark.parametrize("line", ["0.2", "[0.2]", " ( 0.2 ) ", "2e-1", "0.2,"])
def test_a_one_link_env_takes_a_number_with_or_without_brackets(line):
    code, text = play("agora/LostSales-v0", [line, "quit"])
    assert code == 0 and periods_played(text) == 1 and "Invalid action" not in text
    assert "on_way[supplier->store][+1]: 8" in text  # 0.2 of 40 units, due in two periods
    assert "Stopped. Total reward" in text


def test_a_three_link_env_takes_spaces_commas_and_the_form_envs_show_prints():
    forms = ["0.1 0.2 0.3", "0.1,0.2,0.3", "[0.1, 0.2, 0.3]", "[0.1 0.2 0.3]", "0.1, 0.2 ,0.3"]
    code, text = play("agora/InvManagement-v1", [*forms, "quit"])
    assert code == 0 and periods_played(text) == len(forms) and "Invalid action" not in text
    # 0.1 of 100 units to the retailer, due in 3 periods: after the first order it sits at slot +2.
    assert "on_way[distributor->retailer][+2]: 10" in text


@pytest.mark.parametrize("bad, reason", [
    ("abc", "'abc' is not a number"),
    ("0.1 0.2", "got 2 number(s)"),
    ("0.1 0.2 0.3 0.4", "got 4 number(s)"),
    ("", "got 0 number(s)"),
    ("nan 0.1 0.1", "NaN and infinity are not allowed"),
    ("0.1 inf 0.1", "NaN and infinity are not allowed"),
    ("1.5 0 -0.1", "1.5, -0.1 outside the bounds"),
    ("[0.1; 0.2 zero]", "'zero' is not a number"),
])
def test_bad_input_says_what_is_expected_and_the_game_goes_on(bad, reason):
    code, text = play("agora/InvManagement-v1", [bad, "0.1 0.1 0.1", "quit"])
    assert code == 0
    assert f"Invalid action: {reason}. Type 3 number(s), each in [0, 1], in this order: " in text
    assert "distributor->retailer, manufacturer->distributor, raw-materials->manufacturer" in text
    assert periods_played(text) == 1  # the bad line played nothing; the good one played a period


def test_a_whole_episode_can_be_played_to_its_end():
    code, text = play("agora/InvManagement-v1", ["0.2 0.2 0.2"] * 30)
    assert code == 0 and periods_played(text) == 30
    assert "Episode over. Total reward" in text or "Episode won. Total reward" in text


def test_the_agora_command_plays_a_numeric_env_from_stdin(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("[0.2]\nbanana\n0.3\nquit\n"))
    assert main(["play", "agora/LostSales-v0"]) == 0
    captured = capsys.readouterr()
    assert periods_played(captured.out) == 2 and "'banana' is not a number" in captured.out
    assert captured.err == ""


def test_agora_play_in_a_subprocess_exits_cleanly_on_bad_and_good_input():
    done = subprocess.run([sys.executable, "-m", "training.cli", "play", "agora/InvManagement-v1"],
                          input="[0.2]\n0.2 0.2 0.2\n", capture_output=True, text=True, timeout=120, cwd=REPO,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "Invalid action: got 1 number(s)" in done.stdout and periods_played(done.stdout) == 1
    assert "Traceback" not in done.stderr and "Stopped." in done.stdout
