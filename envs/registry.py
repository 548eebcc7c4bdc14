"""One registry for single- and multi-agent environments.

Single-agent ids are also registered with Gymnasium, so ``gymnasium.make("agora/X-v0")``
works. Multi-agent ids (PettingZoo ``ParallelEnv``) live only here, since Gymnasium's
wrappers do not apply to them. Ids without a namespace go under ``agora/``.

Third-party packages add environments through the entry-point group ``agora.envs``: each
entry point names a callable that calls :func:`register`. They are loaded on first use.
This module knows nothing of agora's own environments: ``envs/__init__.py`` registers them
(``envs.builtin``) once the registry exists, so no import runs in a circle.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import gymnasium as gym

NAMESPACE = "agora"
ENTRY_POINT_GROUP = "agora.envs"
KINDS = ("single", "multi")


@dataclass(frozen=True)
class EnvSpec:
    id: str
    entry_point: str | Callable[..., Any]
    kind: str = "single"  # "single" (gymnasium.Env) or "multi" (pettingzoo.ParallelEnv)
    family: str = ""
    engine: str = "native"
    interface: str = "text"  # "text" for LLM agents, "numeric" for Box spaces
    description: str = ""
    goal_based: bool = True  # episodes can be won (info["won"]); False for pure cost/reward envs
    # Named task splits; reset(options={"split": name, "index": i}) plays task i of a split.
    splits: tuple[str, ...] = ()
    kwargs: dict = field(default_factory=dict)


_REGISTRY: dict[str, EnvSpec] = {}
_plugins_loaded = False


def _full_id(env_id: str) -> str:
    if not isinstance(env_id, str) or not env_id:
        raise TypeError(f"env id must be a non-empty str, got {env_id!r}")
    return env_id if "/" in env_id else f"{NAMESPACE}/{env_id}"


def register(
    id: str,
    entry_point: str | Callable[..., Any],
    *,
    kind: str = "single",
    family: str = "",
    engine: str = "native",
    interface: str = "text",
    description: str = "",
    goal_based: bool = True,
    splits: tuple[str, ...] = (),
    **kwargs: Any,
) -> EnvSpec:
    """Register an environment. ``entry_point`` is ``"module:attr"`` or a callable."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    full = _full_id(id)
    spec = EnvSpec(full, entry_point, kind, family, engine, interface, description, goal_based, tuple(splits), dict(kwargs))
    _REGISTRY[full] = spec
    if kind == "single":
        # Step limits are each env's own business, so Gymnasium adds no TimeLimit.
        gym.register(id=full, entry_point=entry_point, kwargs=dict(kwargs), disable_env_checker=False)
    return spec


def load_plugins() -> None:
    """Import every ``agora.envs`` entry point once; a broken plugin warns, never breaks agora."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            hook = ep.load()
            if callable(hook):
                hook()
        except Exception as exc:  # a third party's bug must not take the registry down
            warnings.warn(f"agora: plugin {ep.name!r} ({ep.value}) failed to load: {exc!r}", stacklevel=2)


def spec(env_id: str) -> EnvSpec:
    load_plugins()
    full = _full_id(env_id)
    if full not in _REGISTRY:
        close = difflib.get_close_matches(full, list(_REGISTRY), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else " Run `agora envs list`."
        raise KeyError(f"Unknown environment {env_id!r}.{hint}")
    return _REGISTRY[full]


def list_envs(kind: str | None = None, family: str | None = None) -> list[EnvSpec]:
    load_plugins()
    specs = sorted(_REGISTRY.values(), key=lambda s: s.id)
    return [s for s in specs if (kind is None or s.kind == kind) and (family is None or s.family == family)]


def _resolve(entry_point: str | Callable[..., Any]) -> Callable[..., Any]:
    if callable(entry_point):
        return entry_point
    module, _, attr = entry_point.partition(":")
    return getattr(importlib.import_module(module), attr)


def make(env_id: str, **kwargs: Any):
    """Build an environment: a ``gymnasium.Env`` (via ``gymnasium.make``) or a PettingZoo ``ParallelEnv``."""
    s = spec(env_id)
    if s.kind == "single":
        return gym.make(s.id, **kwargs)
    return _resolve(s.entry_point)(**{**s.kwargs, **kwargs})
