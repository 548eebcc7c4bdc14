"""Package boundaries: the env registry stands alone, and each package imports cleanly by itself."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-W", "error", "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_registry_module_imports_no_environment_family():
    # Load envs/registry.py on its own (not through envs/__init__.py): registering and listing
    # must work without it importing agora's built-in families (which import the registry).
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('lone_registry', {str(ROOT / 'envs' / 'registry.py')!r})\n"
        "registry = sys.modules['lone_registry'] = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(registry)\n"
        "registry.register('Lone-v0', 'tests.toy_envs:CountdownEnv', family='test')\n"
        "print([s.id for s in registry.list_envs(family='test')])\n"
        "print(sorted(m for m in sys.modules if m == 'envs' or m.startswith('envs.')))\n"
    )
    out = _python(code)
    assert out.returncode == 0, out.stderr
    ids, modules = out.stdout.strip().splitlines()
    assert ids == "['agora/Lone-v0']"
    assert modules == "[]"


@pytest.mark.parametrize("module", ["envs.registry", "envs.builtin", "envs.household.registration", "agents.prompting", "training.tasks"])
def test_each_module_imports_alone_with_every_builtin_registered(module):
    out = _python(f"import {module}, envs; print(len(envs.list_envs()), sorted({{s.family for s in envs.list_envs()}}))")
    assert out.returncode == 0, out.stderr
    assert "household" in out.stdout and "inventory" in out.stdout
