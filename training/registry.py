"""Registries of named learner parts: advantage estimators and policy losses.

A part is a function plus the config settings it reads: ``settings`` maps a dotted key of
the training config (``"algorithm.gamma"``, ``"rollout.memory_k"``) to the function's keyword,
so ``spec.call(config, *args)`` passes exactly those values and the config layer can tell
which ``algorithm.*`` settings do not apply to the chosen part (:meth:`Registry.unused_settings`).

The built-ins register themselves where they are defined (``training.advantages``,
``training.losses``); this module imports neither. Third-party packages add parts through
the entry-point groups ``agora.estimators`` and ``agora.losses``: each entry point, named like
the part, names an ``EstimatorSpec`` / ``LossSpec`` object. They are loaded on first use; a
broken one warns, naming it, and never breaks the built-ins.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import inspect
import warnings
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

CHECKED_SECTION = "algorithm."  # other sections (rollout.memory_k) serve the whole run, whoever reads them


@dataclass(frozen=True)
class Spec:
    name: str
    fn: Callable[..., Any]
    settings: Mapping[str, str] = field(default_factory=dict)  # config key -> keyword of fn
    doc: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip() or self.name != self.name.strip():
            raise ValueError(f"a registered name must be a non-empty str without spaces around it, got {self.name!r}")
        if not callable(self.fn):
            raise TypeError(f"{self.name}: fn must be callable, got {type(self.fn).__name__}")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in dict(self.settings).items()):
            raise TypeError(f"{self.name}: settings must map config keys (str) to keyword names (str)")
        params = inspect.signature(self.fn).parameters
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            unknown = sorted(set(self.settings.values()) - set(params))
            if unknown:
                raise ValueError(f"{self.name}: {getattr(self.fn, '__name__', self.fn)} has no keyword {unknown}")
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))

    @property
    def uses(self) -> frozenset[str]:
        """The config keys this part reads."""
        return frozenset(self.settings)

    def call(self, config: Any, *args: Any) -> Any:
        """``fn(*args, **settings)`` with each setting read from ``config`` (the TrainConfig)."""
        kwargs = {}
        for key, keyword in self.settings.items():
            node = config
            for part in key.split("."):
                if not hasattr(node, part):
                    raise ValueError(f"{self.name} reads the setting {key!r}, which the config does not have")
                node = getattr(node, part)
            kwargs[keyword] = node
        return self.fn(*args, **kwargs)


class EstimatorSpec(Spec):
    """An advantage estimator: ``fn(rows, **settings) -> one float per row`` (see training.advantages)."""


class LossSpec(Spec):
    """A policy loss: ``fn(batch: LossBatch, **settings) -> LossTerms`` (see training.losses)."""


class Registry:
    """Parts of one kind by name: the built-ins that registered themselves plus the group's entry points."""

    def __init__(self, kind: str, entry_point_group: str, spec_type: type[Spec]):
        self.kind = kind  # "estimator" or "loss", for messages
        self.entry_point_group = entry_point_group
        self.spec_type = spec_type
        self._specs: dict[str, Spec] = {}
        self._broken: dict[str, str] = {}  # plugin name -> why it failed to load
        self._plugins_loaded = False

    def register(self, spec: Spec) -> Spec:
        if not isinstance(spec, self.spec_type):
            raise TypeError(f"expected {self.spec_type.__name__}, got {type(spec).__name__}")
        if spec.name in self._specs:
            raise ValueError(f"{self.kind} {spec.name!r} is already registered")
        self._specs[spec.name] = spec
        return spec

    def load_plugins(self) -> None:
        """Register every entry point of the group once; a broken one warns and is remembered."""
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for ep in importlib.metadata.entry_points(group=self.entry_point_group):
            try:
                spec = ep.load()
                if not isinstance(spec, self.spec_type):
                    raise TypeError(f"it names {type(spec).__name__!r}, expected {self.spec_type.__name__}")
                if spec.name != ep.name:
                    raise ValueError(f"the entry point is named {ep.name!r} but its {self.kind} {spec.name!r}")
                self.register(spec)
            except Exception as exc:  # a third party's bug must not take the built-ins down
                self._broken[ep.name] = f"{ep.value}: {exc}"
                warnings.warn(f"agora: {self.kind} plugin {ep.name!r} ({ep.value}) failed to load: {exc}", stacklevel=2)

    def names(self) -> list[str]:
        self.load_plugins()
        return sorted(self._specs)

    def get(self, name: str) -> Spec:
        """The spec registered as ``name``; an unknown name is a ValueError listing the registered ones."""
        self.load_plugins()
        if name in self._specs:
            return self._specs[name]
        if name in self._broken:
            raise ValueError(f"{self.kind} {name!r} comes from a plugin that failed to load ({self._broken[name]})")
        close = difflib.get_close_matches(str(name), list(self._specs), n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown {self.kind} {name!r}{hint}; registered: {', '.join(self.names())}")

    def unused_settings(self, name: str) -> dict[str, list[str]]:
        """The ``algorithm.*`` settings another registered part reads but ``name`` does not, each
        with the names of the parts that read it: set for ``name``, they would be ignored."""
        chosen = self.get(name)
        readers: dict[str, list[str]] = {}
        for spec in sorted(self._specs.values(), key=lambda s: s.name):
            for key in spec.uses - chosen.uses:
                if key.startswith(CHECKED_SECTION):
                    readers.setdefault(key, []).append(spec.name)
        return dict(sorted(readers.items()))
