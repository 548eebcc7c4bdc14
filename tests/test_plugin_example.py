"""The plugin example's own test suite, run as a plugin author runs it: against the installed package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "agora-plugin-example"


def test_the_plugin_examples_own_tests_pass_with_it_installed(tmp_path):
    source = tmp_path / "example"  # a copy, so the build leaves nothing in the repository
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(source)],
        check=True, capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": f"{target}{os.pathsep}{ROOT}"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", str(source / "tests")],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "test_contract.py::test_guess_number_keeps_the_env_contract PASSED" in run.stdout, run.stdout
