"""One ScienceWorld simulator (a JVM reached through py4j), started lazily and never leaked.

``ScienceWorldEngine`` talks to the jar that ``scienceworld==1.2.3`` ships, through the same
py4j ``PythonInterface`` object the package's own ``ScienceWorldEnv`` wraps. It calls only what a
step needs (the observation, the score, completion, the move count): the stock wrapper also asks
for every valid action-object combination, the free look and the inventory on every step.

Lifecycle: the JVM starts on the first ``load``; ``close()`` stops it, and so does a
``weakref.finalize`` at garbage collection or interpreter exit. py4j's ``die_on_exit`` makes
the JVM exit by itself if this Python process is killed. If the JVM dies, every call raises
``EngineDied``; ``restart()`` (done by the env on its next reset) starts a fresh one.
"""

from __future__ import annotations

import importlib.util
import subprocess
import weakref

INSTALL_HINT = "pip install 'agora[science]' (scienceworld==1.2.3) and a Java runtime (apt-get install default-jre-headless)"
# Extra JVM flags. None by default: a C1-only JIT (-XX:TieredStopAtLevel=1) starts ~35% sooner
# but ran the long gold paths (Mendelian genetics, conductivity) 1.5-1.7x slower here.
DEFAULT_JAVA_OPTIONS: tuple[str, ...] = ()
_STOP_TIMEOUT_S = 5.0


class EngineDied(RuntimeError):
    """The ScienceWorld JVM is gone (killed, crashed or closed)."""


def require_scienceworld() -> None:
    if importlib.util.find_spec("scienceworld") is None or importlib.util.find_spec("py4j") is None:
        raise ImportError(f"agora/ScienceWorld-v0 needs the scienceworld package. Install it with: {INSTALL_HINT}")


def _stop_jvm(gateway, process: subprocess.Popen) -> None:
    """Shut the gateway, ask the JVM to exit (a newline on stdin, py4j's die_on_exit), then kill it."""
    try:
        gateway.shutdown()
    except Exception:  # the JVM may already be dead; stopping must still reap it
        pass
    if process.poll() is None:
        try:
            process.stdin.write(b"\n")
            process.stdin.flush()
        except OSError:
            pass
        try:
            process.wait(timeout=_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            try:
                stream.close()
            except OSError:  # a newline still buffered for a JVM that died meanwhile: nothing to flush to
                pass


class ScienceWorldEngine:
    def __init__(self, java_options: tuple[str, ...] = DEFAULT_JAVA_OPTIONS):
        require_scienceworld()
        self.java_options = tuple(java_options)
        self._gateway = None
        self._server = None
        self._process: subprocess.Popen | None = None
        self._finalizer: weakref.finalize | None = None

    # --- process ------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        """The JVM's process id, or None before the first load / after close."""
        return self._process.pid if self._process is not None else None

    def _start(self) -> None:
        from py4j.java_gateway import GatewayParameters, JavaGateway, launch_gateway
        from scienceworld.constants import BASEPATH, JAR_PATH

        port, process = launch_gateway(
            classpath=JAR_PATH, die_on_exit=True, cwd=BASEPATH, return_proc=True, javaopts=list(self.java_options)
        )
        gateway = JavaGateway(gateway_parameters=GatewayParameters(auto_field=True, port=port), java_process=process)
        self._gateway, self._process = gateway, process
        # The finalizer holds the gateway and process, never self, so it cannot keep self alive.
        self._finalizer = weakref.finalize(self, _stop_jvm, gateway, process)
        self._server = self._call(lambda: gateway.jvm.scienceworld.runtime.pythonapi.PythonInterface())

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # runs _stop_jvm once, then detaches
        self._gateway = self._server = self._process = self._finalizer = None

    def restart(self) -> None:
        self.close()
        self._start()

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _call(self, fn):
        from py4j.protocol import Py4JError

        try:
            return fn()
        except (Py4JError, OSError) as exc:
            code = self._process.poll() if self._process is not None else None
            raise EngineDied(f"the ScienceWorld JVM stopped (exit code {code}): {type(exc).__name__}") from exc

    def _ensure_started(self) -> None:
        if self._server is None:
            self._start()
        elif not self.alive:
            raise EngineDied(f"the ScienceWorld JVM stopped (exit code {self._process.poll()})")

    # --- simulator ----------------------------------------------------------------------
    def max_variations(self, task_name: str) -> int:
        self._ensure_started()
        return int(self._call(lambda: self._server.getTaskMaxVariations(task_name)))

    def load(self, task_name: str, variation: int, simplifications: str, gold_path: bool = False) -> list[str]:
        """Load a task variation; return its gold action sequence when ``gold_path`` (else [])."""
        self._ensure_started()
        error = self._call(lambda: self._server.load(task_name, variation, simplifications, gold_path))
        if error:
            raise ValueError(f"ScienceWorld could not load {task_name!r} variation {variation}: {error}")
        return list(self._call(self._server.getGoldActionSequence)) if gold_path else []

    def step(self, action: str) -> tuple[str, int, bool, int]:
        """One lean step: (observation, score in -100..100, task completed, moves so far)."""
        self._ensure_started()
        server = self._server
        obs = self._call(lambda: server.step(action))
        score = int(round(100 * self._call(server.getScore)))  # the stock wrapper's rounding
        return obs, score, bool(self._call(server.getCompleted)), int(self._call(server.getNumMoves))

    def task_description(self) -> str:
        self._ensure_started()
        text = str(self._call(self._server.freeActionTaskDesc)).strip()
        return text.removeprefix("Task Description:").strip()

    def valid_actions(self) -> list[str]:
        """Every valid action-object combination (what the stock step computes each call: ~100 ms)."""
        self._ensure_started()
        return list(self._call(self._server.getValidActionObjectCombinations))

    def variation_sets(self) -> tuple[list[int], list[int], list[int]]:
        """The engine's own train/dev/test variations of the loaded task (used to check ``tasks.splits``)."""
        self._ensure_started()
        server = self._server
        return tuple(list(self._call(f)) for f in (server.getVariationsTrain, server.getVariationsDev, server.getVariationsTest))
