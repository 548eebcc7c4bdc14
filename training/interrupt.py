"""What agora does on SIGINT and SIGTERM.

In a training run (:class:`StopRequest`) the first signal asks the trainer to finish the update
under way and save a checkpoint (which resumes exactly, as a periodic one does); a second signal
stops at once, keeping only the last checkpoint already written. Elsewhere in the CLI
(:class:`ExitOnTerminate`) either signal stops the command through an exception, so ``finally``
blocks and ``close()`` calls run and shut model engines down.
"""

from __future__ import annotations

import signal
import sys
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class SignalScope:
    """A context manager that routes SIGINT and SIGTERM to ``self._handle`` inside it (from the
    main thread only: Python delivers signals there)."""

    def __enter__(self):
        self._previous = {}
        if threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _handle(self, signum, frame) -> None:
        raise NotImplementedError


class StopRequest(SignalScope):
    """``requested`` names the signal once one arrived (else None)."""

    requested: str | None = None

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


class ExitOnTerminate(SignalScope):
    """SIGINT raises KeyboardInterrupt and SIGTERM SystemExit(143), each said on screen."""

    def _handle(self, signum, frame) -> None:
        print(f"\nagora: {signal.Signals(signum).name} received: stopping", file=sys.stderr, flush=True)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)
