"""The small-LLM scripts refuse bad arguments before loading a model."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("script, args, message", [
    ("candidate_head_speed.py", ["--episodes", "0"], "--episodes and --threads must be >= 1"),
    ("candidate_head_speed.py", ["--threads", "-1"], "--episodes and --threads must be >= 1"),
    ("small_llm_recipes.py", ["--updates", "0"], "--updates must be >= 1"),
    ("small_llm_recipes.py", ["--rows", "nonsense"], "invalid choice: 'nonsense'"),
])
def test_bad_arguments_are_refused_with_exit_2(script, args, message, tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / script), *args, *(["--out", str(tmp_path / "o")] if "recipes" in script else [])],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "o").exists()  # nothing written
