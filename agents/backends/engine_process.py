"""Engine processes that end with agora, however agora ends.

vLLM runs its engine core in a child process (``VLLM::EngineCore``) that waits on a socket for
the parent; when the parent dies without shutting it down (SIGTERM's default action, SIGKILL, a
crash) nothing tells it, and it lives on holding memory. :func:`tie_engine_processes` makes every
engine core that vLLM starts from now on ask the kernel (``PR_SET_PDEATHSIG``, Linux) for SIGTERM
when the thread that started it ends (agora starts engines from its main thread), which vLLM's engine answers with its own clean shutdown.
The engine also gets its own process group, so a terminal's Ctrl-C reaches agora alone and agora
shuts the engine down in order.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading

PR_SET_PDEATHSIG = 1
PARENT_VAR = "AGORA_ENGINE_PARENT_PID"


STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def stop_signals_after_startup():
    """Hold SIGINT/SIGTERM while an engine starts, and act on one that came once it is up.

    Two reasons. The helper threads vLLM starts meanwhile inherit the held mask and never take
    these signals later, so the signals reach the main thread and interrupt its waits on the
    engine (one a helper thread took would leave the main thread blocked). And an exception
    raised inside vLLM's startup can be swallowed there, leaving the process running; raised
    after it, it reaches agora's own cleanup. Startup takes seconds to a minute; so does the stop.
    """
    in_main = threading.current_thread() is threading.main_thread()
    arrived: list[int] = []
    handlers = {sig: signal.signal(sig, lambda signum, frame: arrived.append(signum)) for sig in STOP_SIGNALS} if in_main else {}
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        if arrived:
            signal.raise_signal(arrived[0])  # now the usual handler runs: KeyboardInterrupt, SystemExit


def die_with_parent(parent_pid: int) -> None:
    """In a child: SIGTERM me when my parent ends (and now, should it have ended already)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # held by the parent while it started me
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)
    os.setpgid(0, 0)


_ORIGINAL = None  # vLLM's own entry point, saved before it is replaced


def _engine_core_tied_to_parent(*args, **kwargs):
    """vLLM's engine core entry point, preceded by :func:`die_with_parent`. A module-level
    function, so that a spawned child finds it by name."""
    from vllm.v1.engine.core import EngineCoreProc

    die_with_parent(int(os.environ[PARENT_VAR]))
    run = _ORIGINAL or EngineCoreProc.run_engine_core  # forked: saved above; spawned: a fresh, unpatched import
    return run(*args, **kwargs)


def tie_engine_processes() -> None:
    """Route vLLM's engine-core process entry through :func:`die_with_parent` (idempotent)."""
    global _ORIGINAL
    from vllm.v1.engine.core import EngineCoreProc

    os.environ[PARENT_VAR] = str(os.getpid())  # children inherit it: the pid they must outlive not
    if _ORIGINAL is None:
        _ORIGINAL = EngineCoreProc.run_engine_core
    EngineCoreProc.run_engine_core = staticmethod(_engine_core_tied_to_parent)
