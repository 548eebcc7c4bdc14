"""Maestro's registry of experts: (model, skill) pairs read from a YAML file a user edits.

The file's format is documented in the packaged default, ``envs/maestro/experts.yaml``. Every
entry is validated on load; a bad file raises ``ValueError`` naming the entry and the field.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from envs.hila.solvers import PolicySolver, SimulatedSolver, check_accuracy
from envs.hila.tasks import VerifiableTask

DEFAULT_REGISTRY = Path(__file__).with_name("experts.yaml")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # no '@@', ':' or spaces: names parse back unambiguously


@dataclass
class ExpertEntry:
    model: str
    skill: str
    description: str
    cost: float
    accuracy: dict[str, float]
    backend: str | dict = "simulated"
    _solver: object = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return f"{self.model}@@{self.skill}"

    def accuracy_on(self, task_type: str) -> float:
        return self.accuracy.get(task_type, 0.0)

    def reply(self, task: VerifiableTask, request: str, key: tuple[int, ...]) -> str:
        if self._solver is None:  # a model backend is built on first use: loading one is slow
            self._solver = _build_solver(self.backend, self.accuracy)
        return self._solver.reply(task, f"Request: {request}", key)

    def describe(self, task_type: str) -> str:
        return (f"- {self.name}: {self.description}; cost {self.cost:g} per call; "
                f"reported accuracy on {task_type}: {self.accuracy_on(task_type):.2f}")


def _build_solver(backend: str | dict, accuracy: dict[str, float]):
    if backend == "simulated":
        return SimulatedSolver(accuracy)
    from agents.backends import make_backend  # only a model backend needs agents

    options = dict(backend)
    max_tokens = options.pop("max_tokens", 128)
    return PolicySolver(make_backend(options.pop("type"), **options), max_tokens=max_tokens)


def parse_entries(data: object, where: str = "registry") -> list[ExpertEntry]:
    if not isinstance(data, dict) or not isinstance(data.get("experts"), list) or not data["experts"]:
        raise ValueError(f"{where}: expected a mapping with a non-empty list 'experts'")
    entries = []
    for i, raw in enumerate(data["experts"]):
        at = f"{where}: experts[{i}]"
        if not isinstance(raw, dict):
            raise ValueError(f"{at} must be a mapping, got {raw!r}")
        unknown = set(raw) - {"model", "skill", "description", "cost", "accuracy", "backend"}
        if unknown:
            raise ValueError(f"{at} has unknown fields {sorted(unknown)}")
        for key in ("model", "skill"):
            if not isinstance(raw.get(key), str) or not _NAME.fullmatch(raw[key]):
                raise ValueError(f"{at}.{key} must be a name of letters, digits, '.', '_' or '-', got {raw.get(key)!r}")
        cost = raw.get("cost")
        if isinstance(cost, bool) or not isinstance(cost, (int, float)) or not math.isfinite(cost) or cost < 0:
            raise ValueError(f"{at}.cost must be a number >= 0, got {cost!r}")
        backend = raw.get("backend", "simulated")
        if backend != "simulated" and not (isinstance(backend, dict) and isinstance(backend.get("type"), str)):
            raise ValueError(f"{at}.backend must be 'simulated' or a mapping with a 'type' (hf, vllm, openai), got {backend!r}")
        entries.append(ExpertEntry(raw["model"], raw["skill"], str(raw.get("description", "")), float(cost),
                                   check_accuracy(raw.get("accuracy") or {}, f"{at}.accuracy"), backend))
    names = [e.name for e in entries]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"{where}: entries {duplicated} appear more than once")
    return entries


def load_registry(path: str | Path | None = None) -> list[ExpertEntry]:
    """The entries of a registry file (default: the packaged one)."""
    path = Path(path) if path is not None else DEFAULT_REGISTRY
    if not path.is_file():
        raise ValueError(f"expert registry {str(path)!r} does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ValueError(f"expert registry {str(path)!r} is not valid YAML: {err}") from None
    return parse_entries(data, str(path))
