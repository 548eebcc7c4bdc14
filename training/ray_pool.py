"""Single-agent env pools on Ray actors: many envs per actor, one batched call per actor and turn.

``RayEnvPool`` starts ``ray.env_actors`` actors (``ray.cpus_per_env_actor`` CPUs each) that
live for the whole run and keep their envs between rollouts. For one rollout, ``pool.runner``
gives a :class:`PoolRunner`, which the rollout drives exactly like :class:`envs.GroupRunner`:
whole groups sit on one actor (task ``i``'s copies are never split), and each turn every actor
steps all its live envs in one remote call, the actors in parallel.

Faults (the ``ray`` config section, knobs in the style of RLlib's):

- an env actor that dies, or takes longer than ``step_timeout_s`` for one batched step, is
  killed and restarted (``restart_failed_env_actors``; at most ``max_restarts`` in a run);
- an env whose step raises, or reports ``info["engine_error"]`` (its engine process died, as
  ScienceWorld's and ALFWorld's envs do), is rebuilt inside its actor;
- an episode whose env was lost is re-run: a fresh env is reset with the episode's seed and
  fed the actions taken so far (envs are deterministic per seed and actions), and the replayed
  observations must match the recorded ones. After ``episode_reruns`` failed tries, or a
  mismatch, its whole group is dropped from the batch: a group is never kept with a member
  missing, so no advantage is computed over a partial group;
- past ``rollout_timeout_s`` the groups still playing are dropped.

Ray: a local Ray started for the run imports agora from where this process does; joining a
cluster (``ray.address``) needs agora installed on its nodes. Evaluation plays in process.

The counts go to the metrics as ``faults/*`` (:class:`FaultCounts`). Nothing here changes what a
fault-free rollout records: the in-process and the Ray path give the same step records.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

import envs
from envs.group import GroupStep

clock = time.monotonic  # what rollout_timeout_s is measured by (a test advances its own)
STARTUP_TIMEOUT_S = 120.0  # for an env actor to come up (not counted in step_timeout_s)


class EnvActorsFailed(RuntimeError):
    """Env actors failed and may not (or may no longer) be restarted."""


@dataclass
class FaultCounts:
    actor_restarts: int = 0  # env actors restarted after dying or hanging
    env_restarts: int = 0  # envs rebuilt inside a live actor (their step raised or their engine died)
    episodes_rerun: int = 0  # episodes whose env was lost, replayed to where they were
    episodes_lost: int = 0  # episodes dropped from the batch (every member of a dropped group)
    groups_dropped: int = 0

    def metrics(self) -> dict[str, float]:
        return {f"faults/{f.name}": float(getattr(self, f.name)) for f in fields(self)}


# --- the actor: plain Python, made a Ray actor by RayEnvPool ------------------------------------


class EnvActor:
    """Holds envs of one id by slot number; each method answers for many slots in one call.

    A step result is ``("ok", (obs, reward, terminated, truncated, info))`` or ``("fault", why)``;
    a faulted env is rebuilt at once, so the slot can be replayed."""

    def __init__(self, spec: envs.EnvSpec, env_kwargs: dict):
        try:
            envs.spec(spec.id)
        except KeyError:  # registered at run time in the driver (a plugin or a test): register here too
            fields_ = {f: getattr(spec, f) for f in ("kind", "family", "engine", "interface", "description", "goal_based", "splits")}
            envs.register(spec.id, spec.entry_point, **fields_, **spec.kwargs)
        self.env_id, self.env_kwargs = spec.id, dict(env_kwargs)
        self.envs: dict[int, Any] = {}

    def pid(self) -> int:
        return os.getpid()

    def _env(self, slot: int):
        if slot not in self.envs:
            self.envs[slot] = envs.make(self.env_id, **self.env_kwargs)
        return self.envs[slot]

    def _rebuild(self, slot: int) -> None:
        env = self.envs.pop(slot, None)
        if env is not None:
            try:
                env.close()
            except Exception:  # a broken env may fail to close; the new one must still start
                pass

    def reset(self, jobs: Sequence[tuple[int, int, dict | None]]) -> list[tuple[str, dict]]:
        """``jobs``: (slot, seed, options). A failing reset is an error, not a fault (bad seed or options)."""
        return [self._env(slot).reset(seed=seed, options=options) for slot, seed, options in jobs]

    def step(self, jobs: Sequence[tuple[int, str]]) -> list[tuple[str, Any]]:
        return [self._step(slot, action) for slot, action in jobs]

    def _step(self, slot: int, action: str) -> tuple[str, Any]:
        try:
            obs, reward, terminated, truncated, info = self._env(slot).step(action)
        except Exception as exc:  # the env is broken; the driver re-runs or drops its episode
            self._rebuild(slot)
            return "fault", f"{type(exc).__name__}: {exc}"
        if info.get("engine_error"):
            self._rebuild(slot)
            return "fault", f"engine died: {info['engine_error']}"
        return "ok", (obs, float(reward), bool(terminated), bool(truncated), info)

    def replay(self, jobs: Sequence[tuple[int, int, dict | None, list[str]]]) -> list[tuple[str, Any]]:
        """``jobs``: (slot, seed, options, actions). Reset a fresh env and play the actions; the
        result is ``("ok", (observations seen, last step))`` or ``("fault", why)``."""
        results = []
        for slot, seed, options, actions in jobs:
            self._rebuild(slot)
            try:
                seen = [self._env(slot).reset(seed=seed, options=options)[0]]
            except Exception as exc:
                self._rebuild(slot)
                results.append(("fault", f"{type(exc).__name__}: {exc}"))
                continue
            outcome: tuple[str, Any] = ("fault", "no actions to replay")
            for action in actions:
                outcome = self._step(slot, action)
                if outcome[0] != "ok":
                    break
                seen.append(outcome[1][0])
            results.append(outcome if outcome[0] != "ok" else ("ok", (seen[:-1], outcome[1])))
        return results

    def expert_action(self, slot: int) -> str:
        return self.envs[slot].unwrapped.expert_action()

    def close(self) -> None:
        for slot in list(self.envs):
            self._rebuild(slot)


# --- the driver side ----------------------------------------------------------------------------


def _import_ray():
    try:
        import ray
    except ImportError as err:
        raise ImportError("ray.enabled needs Ray: pip install 'agora[ray]'") from err
    return ray


class RayEnvPool:
    """Env actors for one env id and settings, for the whole run; ``settings`` is the ``ray`` section."""

    def __init__(self, env_id: str, env_kwargs: dict | None, settings):
        spec = envs.spec(env_id)
        if spec.kind != "single":
            raise ValueError(f"{env_id} is multi-agent; ray.enabled runs single-agent envs on env actors")
        ray = self.ray = _import_ray()
        self.env_id, self.env_kwargs, self.settings = spec.id, dict(env_kwargs or {}), settings
        self.started_ray = False
        if not ray.is_initialized():
            self._start_ray()
        # max_restarts=0: the pool restarts actors itself, so it knows which episodes to re-run.
        self._actor_class = ray.remote(EnvActor).options(num_cpus=settings.cpus_per_env_actor, max_restarts=0)
        self._spec = spec
        self.faults = FaultCounts()
        self.restarts = 0  # in this pool's life, against max_restarts
        self.actors = [self._new_actor() for _ in range(settings.env_actors)]
        try:
            self._wait_started(self.actors)  # fail here, not mid-rollout, if actors cannot start
        except Exception:
            self.close()
            raise

    def _start_ray(self) -> None:
        s = self.settings
        if s.address is None:
            # Workers import agora from where this process does (a source checkout or site-packages).
            source = str(Path(envs.__file__).resolve().parents[1])
            path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH", "")) if p)
            self.ray.init(num_cpus=s.local_cpus(), include_dashboard=False, log_to_driver=False,
                          runtime_env={"env_vars": {"PYTHONPATH": path}})
        else:
            self.ray.init(address=s.address, log_to_driver=False)
        self.started_ray = True

    def _new_actor(self):
        return self._actor_class.remote(self._spec, self.env_kwargs)

    def _wait_started(self, actors: list) -> None:
        """Wait for actors to be up, so that start-up never counts against a step's timeout."""
        try:
            self.ray.get([a.pid.remote() for a in actors], timeout=STARTUP_TIMEOUT_S)
        except self.ray.exceptions.GetTimeoutError:
            s = self.settings
            raise EnvActorsFailed(
                f"env actors did not start within {STARTUP_TIMEOUT_S:g} s: does Ray have {s.env_actors} x "
                f"{s.cpus_per_env_actor:g} free CPUs (ray.env_actors x ray.cpus_per_env_actor)?"
            ) from None

    def restart(self, index: int, why: str) -> None:
        """Replace actor ``index`` (dead or hung) by a fresh one, within ``ray.max_restarts``."""
        s = self.settings
        self.ray.kill(self.actors[index], no_restart=True)  # a hung one holds its CPUs until killed
        if not s.restart_failed_env_actors:
            raise EnvActorsFailed(f"env actor {index} failed ({why}) and ray.restart_failed_env_actors is false")
        if self.restarts >= s.max_restarts:
            raise EnvActorsFailed(f"env actor {index} failed ({why}) after {self.restarts} restarts (ray.max_restarts)")
        self.actors[index] = self._new_actor()
        self.restarts += 1
        self.faults.actor_restarts += 1
        self._wait_started([self.actors[index]])

    def call(self, method: str, jobs: dict[int, list], timeout_s: dict[int, float | None]) -> dict[int, list | None]:
        """Run ``method(jobs[a])`` on every actor ``a`` at once; None for an actor that died or ran
        past ``timeout_s[a]`` (it is restarted). Errors raised by the method itself propagate."""
        ray = self.ray
        refs = {a: getattr(self.actors[a], method).remote(j) for a, j in jobs.items()}
        results: dict[int, list | None] = {}
        start = time.monotonic()
        for a, ref in refs.items():
            limit = timeout_s.get(a)
            left = None if limit is None else max(0.0, limit - (time.monotonic() - start))
            try:
                results[a] = ray.get(ref, timeout=left)
            except ray.exceptions.GetTimeoutError:
                results[a] = None
                self.restart(a, f"{method} took over {limit:g} s")
            except ray.exceptions.RayActorError as err:
                results[a] = None
                self.restart(a, f"died: {type(err).__name__}")
        return results

    def runner(self, env_id: str, n_tasks: int, group_size: int, env_kwargs: dict | None = None) -> "PoolRunner":
        if envs.spec(env_id).id != self.env_id or dict(env_kwargs or {}) != self.env_kwargs:
            raise ValueError(f"this env pool runs {self.env_id} with {self.env_kwargs}, not {env_id} with {env_kwargs}")
        return PoolRunner(self, n_tasks, group_size)

    def take_faults(self) -> FaultCounts:
        """The fault counts since the last call (one update's)."""
        counts, self.faults = self.faults, FaultCounts()
        return counts

    def actor_pids(self) -> list[int]:
        return self.ray.get([a.pid.remote() for a in self.actors])

    def close(self) -> None:
        """End the actors (and the local Ray this pool started). Safe to call twice."""
        if not self.actors:
            return
        try:
            self.ray.get([a.close.remote() for a in self.actors], timeout=30)
        except Exception:  # a dead or hung actor cannot close its envs; killing it ends them
            pass
        for actor in self.actors:
            self.ray.kill(actor, no_restart=True)
        self.actors = []
        if self.started_ray:
            self.ray.shutdown()


class RemoteEnv:
    """Stands in for a live env in ``Decision.env``: what privileged scripted experts call."""

    def __init__(self, runner: "PoolRunner", index: int):
        self.runner, self.index = runner, index

    @property
    def unwrapped(self) -> "RemoteEnv":
        return self

    def expert_action(self) -> str:
        pool = self.runner.pool
        actor, slot = self.runner.place(self.index)
        return pool.ray.get(pool.actors[actor].expert_action.remote(slot))


class PoolRunner:
    """One rollout's N tasks x G copies on the pool's actors, driven like :class:`envs.GroupRunner`.

    ``lost_tasks`` holds the task indices whose groups were dropped: the rollout removes their rows."""

    def __init__(self, pool: RayEnvPool, n_tasks: int, group_size: int):
        if n_tasks < 1 or group_size < 1:
            raise ValueError(f"n_tasks and group_size must be >= 1, got {n_tasks} and {group_size}")
        self.pool, self.n_tasks, self.group_size = pool, n_tasks, group_size
        n = n_tasks * group_size
        # Whole groups per actor, in contiguous blocks: actor a holds tasks chunks[a].
        chunks = np.array_split(np.arange(n_tasks), min(len(pool.actors), n_tasks))
        self._place = [(a, int(t - chunk[0]) * group_size + j) for a, chunk in enumerate(chunks) for t in chunk for j in range(group_size)]
        self.envs = [RemoteEnv(self, k) for k in range(n)]
        self.done = [True] * n
        self.lost_tasks: set[int] = set()
        self._tasks: list[tuple[int, dict | None]] = []
        self._actions: list[list[str]] = [[] for _ in range(n)]
        self._seen: list[list[str]] = [[] for _ in range(n)]
        self._last: list[tuple[str, dict]] = [("", {})] * n
        self._replay_failures = [0] * n_tasks
        self._restarted: int | None = None  # the actor the last replay call restarted
        self._deadline: float | None = None

    def __len__(self) -> int:
        return len(self.envs)

    def group_of(self, index: int) -> int:
        return index // self.group_size

    def place(self, index: int) -> tuple[int, int]:
        """(actor, slot) of copy ``index``."""
        return self._place[index]

    def _by_actor(self, jobs: dict[int, Any]) -> dict[int, list[tuple[int, Any]]]:
        grouped: dict[int, list[tuple[int, Any]]] = {}
        for k, job in jobs.items():
            grouped.setdefault(self._place[k][0], []).append((k, job))
        return grouped

    def reset(self, seeds: Sequence[int], options: Sequence[dict | None] | None = None) -> tuple[list[str], list[dict]]:
        if len(seeds) != self.n_tasks or (options is not None and len(options) != self.n_tasks):
            raise ValueError(f"need one seed (and options dict) per task ({self.n_tasks})")
        self._tasks = [(int(s), None if options is None else options[i]) for i, s in enumerate(seeds)]
        t = self.pool.settings.rollout_timeout_s
        self._deadline = None if t is None else clock() + t
        jobs = {k: self._tasks[self.group_of(k)] for k in range(len(self))}
        for _ in range(2):  # an actor that dies while resetting is restarted once
            grouped = self._by_actor(jobs)
            step_timeout = self.pool.settings.step_timeout_s  # a reset may take that long per env (a JVM starts)
            answers = self.pool.call(
                "reset", {a: [(self._place[k][1], *job) for k, job in rows] for a, rows in grouped.items()},
                {a: None if step_timeout is None else step_timeout * len(rows) for a, rows in grouped.items()},
            )
            for a, rows in grouped.items():
                for (k, _), result in zip(rows, answers[a] or ()):
                    self._last[k] = result
                    self._seen[k] = [result[0]]
                    self.done[k] = False
                    del jobs[k]
            if not jobs:
                break
        if jobs:
            raise EnvActorsFailed(f"env actors failed to reset {len(jobs)} envs twice in a row")
        return [o for o, _ in self._last], [i for _, i in self._last]

    def step(self, actions: Sequence[str]) -> GroupStep:
        if len(actions) != len(self):
            raise ValueError(f"need one action per copy ({len(self)}), got {len(actions)}")
        live = {k: str(actions[k]) for k in range(len(self)) if not self.done[k]}
        if self._deadline is not None and clock() >= self._deadline:
            for k in live:  # out of time before this step: what still plays is dropped, no actor is asked
                self._drop(self.group_of(k))
            return self._group_step(live, {})
        grouped = self._by_actor(live)
        answers = self.pool.call(
            "step", {a: [(self._place[k][1], action) for k, action in rows] for a, rows in grouped.items()},
            dict.fromkeys(grouped, self.pool.settings.step_timeout_s),
        )
        results: dict[int, tuple] = {}
        failed: set[int] = set()
        for a, rows in grouped.items():
            outcomes = answers[a] or [("fault", "actor lost")] * len(rows)
            for (k, action), (status, value) in zip(rows, outcomes):
                self._actions[k].append(action)
                if status == "ok":
                    results[k] = value
                else:
                    failed.add(k)
                    if answers[a] is not None:
                        self.pool.faults.env_restarts += 1
        self._rerun(failed, results)
        self._drop_if_past_deadline(results)
        return self._group_step(live, results)

    def _rerun(self, failed: set[int], results: dict[int, tuple]) -> None:
        """Replay the failed copies' episodes on fresh envs, into ``results``, one group per call so
        that a replay that fails is charged to its own group; drop the groups that cannot be replayed.

        A replay that kills its actor also takes the envs of the other groups there: those are
        replayed again without a charge (the fault was not theirs)."""
        limit = self.pool.settings.episode_reruns
        pending = set(failed)
        while pending:
            for task in sorted({self.group_of(k) for k in pending}):
                members = sorted(k for k in pending if self.group_of(k) == task)
                pending.difference_update(members)
                if task in self.lost_tasks:
                    continue
                if self._replay_failures[task] >= limit:
                    self._drop(task)
                    continue
                if not self._replay(task, members, results):
                    self._replay_failures[task] += 1
                    pending.update(members)
                for k in self._orphans(members, results):
                    pending.add(k)

    def _replay(self, task: int, members: list[int], results: dict[int, tuple]) -> bool:
        actor = self._place[members[0]][0]
        jobs = [(self._place[k][1], *self._tasks[task], list(self._actions[k])) for k in members]
        step_timeout = self.pool.settings.step_timeout_s
        timeout = None if step_timeout is None else step_timeout * (1 + max(len(job[3]) for job in jobs))
        self._restarted = None
        answer = self.pool.call("replay", {actor: jobs}, {actor: timeout})[actor]
        if answer is None:
            self._restarted = actor
            return False
        if any(status != "ok" for status, _ in answer):
            return False
        if any(seen != self._seen[k] for k, (_, (seen, _)) in zip(members, answer)):
            self._replay_failures[task] = self.pool.settings.episode_reruns  # not deterministic: no second try
            return False
        for k, (_, (_, last)) in zip(members, answer):
            results[k] = last
        self.pool.faults.episodes_rerun += len(members)
        return True

    def _orphans(self, members: list[int], results: dict[int, tuple]) -> list[int]:
        """The live copies, besides ``members``, whose envs died with a restarted actor."""
        if self._restarted is None:
            return []
        lost = [k for k in range(len(self)) if self._place[k][0] == self._restarted and k not in members
                and not self.done[k] and self.group_of(k) not in self.lost_tasks]
        for k in lost:
            results.pop(k, None)
        return lost

    def _drop(self, task: int) -> None:
        if task in self.lost_tasks:
            return
        self.lost_tasks.add(task)
        self.pool.faults.groups_dropped += 1
        self.pool.faults.episodes_lost += self.group_size
        for j in range(self.group_size):
            self.done[task * self.group_size + j] = True

    def _drop_if_past_deadline(self, results: dict[int, tuple]) -> None:
        """Past ``rollout_timeout_s`` (checked between steps; ``step_timeout_s`` bounds each one), the
        groups with a member still playing are dropped."""
        if self._deadline is None or clock() < self._deadline:
            return
        for k, (_, _, terminated, truncated, _) in results.items():
            if not (terminated or truncated):
                self._drop(self.group_of(k))

    def _group_step(self, live: dict[int, str], results: dict[int, tuple]) -> GroupStep:
        out = GroupStep([], [], [], [], [], [])
        for k in range(len(self)):
            if k in live and k in results and self.group_of(k) not in self.lost_tasks:
                obs, reward, terminated, truncated, info = results[k]
                self.done[k] = terminated or truncated
                self._last[k] = (obs, info)
                self._seen[k].append(obs)
                row = (obs, reward, terminated, truncated, info, True)
            else:  # finished earlier, or dropped now (its rows are removed at the end of the rollout)
                obs, info = self._last[k]
                row = (obs, 0.0, True, False, info, k in live)
            for column, value in zip((out.obs, out.rewards, out.terminated, out.truncated, out.infos, out.active), row):
                column.append(value)
        return out

    @property
    def all_done(self) -> bool:
        return all(self.done)

    def close(self, reuse: bool = True) -> None:
        """The actors and their envs stay for the next rollout (whatever ``reuse`` says: an actor
        rebuilds an env that failed); the pool closes them."""
