"""scripts/inventory_speed.py runs end to end and says clearly when OR-Gym's venv is missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "inventory_speed.py"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300,
                          cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})


def test_without_or_gym_it_times_agora_and_names_the_missing_python():
    done = run("--orgym-python", "/no/such/python", "--steps", "30", "--rounds", "1")
    assert done.returncode == 1
    assert "OR-Gym python not found at /no/such/python" in done.stderr
    rows = [line.split() for line in done.stdout.splitlines() if line.startswith("agora/")]
    assert [row[0] for row in rows] == ["agora/InvManagement-v1", "agora/InventoryNumeric-v0", "agora/LostSales-v0"]
    assert all(float(row[1].replace(",", "")) > 0 and row[2:] == ["missing", "n/a"] for row in rows)


def test_bad_arguments_are_refused_before_any_work():
    done = run("--steps", "0")
    assert done.returncode == 2 and "--steps and --rounds must be >= 1" in done.stderr
