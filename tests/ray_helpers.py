"""What the Ray tests share: one local Ray per test module, and the check that no Ray process outlives it."""

import os
import time
from pathlib import Path

import psutil
import ray

ROOT = Path(__file__).resolve().parents[1]
RAY_PROCESSES = ("raylet", "gcs_server", "ray::", "VLLM::")  # an engine actor's vLLM engine core too


def ray_processes(processes=None) -> list[psutil.Process]:
    found = []
    for p in psutil.Process().children(recursive=True) if processes is None else processes:
        try:
            if any(name in " ".join([p.name(), *p.cmdline()[:1]]) for name in RAY_PROCESSES):
                found.append(p)
        except psutil.NoSuchProcess:
            pass
    return found


def local_ray_session(num_cpus: int = 2):
    """A generator for a module fixture: start a local Ray, and after the module shut it down and
    fail if any of its processes is still running 20 s later."""
    # Ray's memory monitor kills workers when the whole machine is short of memory (other jobs'
    # memory counts): unplanned faults would make the counts these tests check unpredictable.
    os.environ.setdefault("RAY_memory_monitor_refresh_ms", "0")
    ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
    yield
    ray.shutdown()
    deadline = time.time() + 20
    while ray_processes() and time.time() < deadline:
        time.sleep(0.2)
    left = ray_processes()
    for p in left:
        p.kill()
    assert not left, f"Ray left processes running: {[p.name() for p in left]}"


def assert_process_ends(pid: int, within_s: float = 20.0) -> None:
    deadline = time.time() + within_s
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE and time.time() < deadline:
        time.sleep(0.2)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, f"process {pid} still runs"
