"""An engine process asks the kernel to end it with its parent: even a SIGKILL of agora, which no
handler sees, leaves no engine behind (agents/backends/engine_process.py)."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

psutil = pytest.importorskip("psutil")
ROOT = Path(__file__).resolve().parents[1]

# "agora": starts an "engine" that calls die_with_parent, as vLLM's engine core does when agora starts it.
PARENT = textwrap.dedent("""
    import os, subprocess, sys, time
    engine = subprocess.Popen([sys.executable, "-c", '''
    import os, time
    from agents.backends.engine_process import die_with_parent
    die_with_parent(int(os.environ["AGORA_ENGINE_PARENT_PID"]))
    print(os.getpgid(0), flush=True)
    time.sleep(600)
    '''], env={**os.environ, "AGORA_ENGINE_PARENT_PID": str(os.getpid())}, stdout=subprocess.PIPE, text=True)
    print(engine.pid, engine.stdout.readline().strip(), flush=True)
    time.sleep(600)
""")


def test_an_engine_ends_when_its_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        engine_pid, engine_group = map(int, parent.stdout.readline().split())
        engine = psutil.Process(engine_pid)
        assert engine.is_running() and engine_group == engine_pid  # its own group: Ctrl-C reaches agora alone
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.time() + 30
        while engine.is_running() and engine.status() != psutil.STATUS_ZOMBIE:
            assert time.time() < deadline, "the engine outlived its parent"
            time.sleep(0.05)
    finally:
        if parent.poll() is None:
            parent.kill()
