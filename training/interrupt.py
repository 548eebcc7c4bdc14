"""Stop a run cleanly on SIGINT or SIGTERM: the first signal asks the trainer to finish the
update under way and save a checkpoint (which resumes exactly, as a periodic one does); a second
signal stops at once, keeping only the last checkpoint already written."""

from __future__ import annotations

import signal
import sys
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """A context manager: ``requested`` names the signal once one arrived (else None)."""

    def __init__(self):
        self.requested: str | None = None
        self._previous = {}

    def __enter__(self) -> "StopRequest":
        if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
            for sig in SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _handle(self, signum, frame) -> None:
        name = signal.Signals(signum).name
        if self.requested is not None:
            print(f"\nagora: second {name}: stopping now without saving this update", file=sys.stderr)
            raise KeyboardInterrupt
        self.requested = name
        print(
            f"\nagora: {name} received: finishing this update, then saving a checkpoint "
            f"(send it again to stop at once)", file=sys.stderr, flush=True,
        )


class ExitOnTerminate:
    """A context manager: SIGTERM raises SystemExit(143) and SIGINT KeyboardInterrupt inside it,
    each said on screen, so ``finally`` blocks and ``close()`` calls run (and shut down model
    engines) instead of the process vanishing."""

    def __enter__(self) -> "ExitOnTerminate":
        self._previous = {}
        if threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum, frame) -> None:
        print(f"\nagora: {signal.Signals(signum).name} received: stopping", file=sys.stderr, flush=True)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)
