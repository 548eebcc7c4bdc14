"""N tasks x G copies stepped together, for group-relative RL (GRPO, GiGPO, HGPO).

Copy ``j`` of task ``i`` sits at flat index ``i * G + j``. All G copies of a task are reset
with the same seed and options, so they start from the same state. Episodes end
independently; a finished copy ignores later actions and keeps reporting ``done``.

An :class:`EnvPool` keeps env instances alive from one runner to the next (a trainer's updates),
so engines that are slow to start (TextWorld's game loading, a JVM) start once. A reset with a
seed defines an episode completely, so a reused env plays exactly what a fresh one would.
"""

from __future__ import annotations

import atexit
import json
import weakref
from dataclasses import dataclass, field
from typing import Any, Sequence

from envs.registry import make, spec


@dataclass
class GroupStep:
    obs: list[str]
    rewards: list[float]
    terminated: list[bool]
    truncated: list[bool]
    infos: list[dict]
    active: list[bool] = field(default_factory=list)  # False where the copy had already finished


class EnvPool:
    """Idle env instances by (env id, constructor kwargs), lent to runners and taken back after.

    ``close()`` closes every idle env; a pool still open at interpreter exit is closed then, so no
    engine process outlives the program. Only idle envs are the pool's: a runner closes or returns
    the ones it holds."""

    def __init__(self):
        self._idle: dict[str, list] = {}
        atexit.register(_close_pool, weakref.ref(self))

    @staticmethod
    def key(env_id: str, env_kwargs: dict) -> str:
        return json.dumps([env_id, env_kwargs], sort_keys=True, default=repr)

    def take(self, env_id: str, count: int, env_kwargs: dict) -> list:
        """``count`` envs of this id and kwargs: idle ones first, new ones for the rest."""
        idle = self._idle.get(self.key(env_id, env_kwargs), [])
        lent = [idle.pop() for _ in range(min(count, len(idle)))]
        return lent + [make(env_id, **env_kwargs) for _ in range(count - len(lent))]

    def runner(self, env_id: str, n_tasks: int, group_size: int, env_kwargs: dict) -> "GroupRunner":
        """A runner over ``n_tasks`` x ``group_size`` envs of this pool."""
        return GroupRunner(env_id, n_tasks, group_size, pool=self, **env_kwargs)

    def give_back(self, env_id: str, env_kwargs: dict, envs: Sequence) -> None:
        self._idle.setdefault(self.key(env_id, env_kwargs), []).extend(envs)

    def __len__(self) -> int:
        return sum(len(v) for v in self._idle.values())

    def close(self) -> None:
        idle, self._idle = self._idle, {}
        for group in idle.values():
            for env in group:
                env.close()


def _close_pool(ref: weakref.ref) -> None:
    pool = ref()
    if pool is not None:
        pool.close()


class GroupRunner:
    """``pool``: take the envs from this :class:`EnvPool` and give them back at ``close()``
    (None: make new ones and close them)."""

    def __init__(self, env_id: str, n_tasks: int, group_size: int, pool: EnvPool | None = None, **env_kwargs: Any):
        if spec(env_id).kind != "single":
            raise ValueError(f"{env_id} is multi-agent; GroupRunner drives single-agent envs")
        if n_tasks < 1 or group_size < 1:
            raise ValueError(f"n_tasks and group_size must be >= 1, got {n_tasks} and {group_size}")
        self.env_id = env_id
        self.n_tasks = n_tasks
        self.group_size = group_size
        self.pool, self.env_kwargs = pool, env_kwargs
        count = n_tasks * group_size
        self.envs = pool.take(env_id, count, env_kwargs) if pool is not None else [make(env_id, **env_kwargs) for _ in range(count)]
        self.done = [True] * len(self.envs)
        self._last: list[tuple[str, dict]] = [("", {})] * len(self.envs)

    def __len__(self) -> int:
        return len(self.envs)

    def group_of(self, index: int) -> int:
        return index // self.group_size

    def reset(self, seeds: Sequence[int], options: Sequence[dict | None] | None = None) -> tuple[list[str], list[dict]]:
        """Reset every copy; ``seeds[i]`` (and ``options[i]``) define task ``i``."""
        if len(seeds) != self.n_tasks:
            raise ValueError(f"need one seed per task ({self.n_tasks}), got {len(seeds)}")
        if options is not None and len(options) != self.n_tasks:
            raise ValueError(f"need one options dict per task ({self.n_tasks}), got {len(options)}")
        for k, env in enumerate(self.envs):
            task = self.group_of(k)
            self._last[k] = env.reset(seed=int(seeds[task]), options=None if options is None else options[task])
            self.done[k] = False
        return [o for o, _ in self._last], [i for _, i in self._last]

    def step(self, actions: Sequence[str]) -> GroupStep:
        if len(actions) != len(self.envs):
            raise ValueError(f"need one action per copy ({len(self.envs)}), got {len(actions)}")
        out = GroupStep([], [], [], [], [], [])
        for k, (env, action) in enumerate(zip(self.envs, actions)):
            if self.done[k]:
                obs, info = self._last[k]
                out.obs.append(obs)
                out.rewards.append(0.0)
                out.terminated.append(True)
                out.truncated.append(False)
                out.infos.append(info)
                out.active.append(False)
                continue
            obs, reward, terminated, truncated, info = env.step(action)
            self.done[k] = terminated or truncated
            self._last[k] = (obs, info)
            out.obs.append(obs)
            out.rewards.append(reward)
            out.terminated.append(terminated)
            out.truncated.append(truncated)
            out.infos.append(info)
            out.active.append(True)
        return out

    @property
    def all_done(self) -> bool:
        return all(self.done)

    def close(self, reuse: bool = True) -> None:
        """Give the envs back to the pool, or close them (no pool, or ``reuse=False``: after an
        error, an env may be mid-step and is not lent again)."""
        held, self.envs = self.envs, []
        if self.pool is not None and reuse:
            self.pool.give_back(self.env_id, self.env_kwargs, held)
            return
        for env in held:
            env.close()
