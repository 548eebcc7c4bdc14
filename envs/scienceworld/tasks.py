"""ScienceWorld's 30 tasks, their train/dev/test variation splits, and a bounded choice list."""

from __future__ import annotations

import json
import os
import re

SPLITS = ("train", "dev", "test")
# ScienceWorld's simplifications; "easy" means all of them (the engine expands it).
SIMPLIFICATIONS = ("easy", "teleportAction", "selfWateringFlowerPots", "openContainers", "openDoors", "noElectricalAction")


def _load_tasks() -> list[dict]:
    """The package's own tasks.json, read as a file so that importing this needs no JVM."""
    import importlib.util

    spec = importlib.util.find_spec("scienceworld")
    if spec is None or spec.origin is None:
        return []
    with open(os.path.join(os.path.dirname(spec.origin), "tasks.json"), encoding="utf-8") as f:
        return json.load(f)


TASKS = _load_tasks()  # [{"task_id": "1-1", "topic": ..., "task": ..., "task_name": "boil"}, ...]
TASK_NAMES = tuple(t["task_name"] for t in TASKS)
_BY_ID = {t["task_id"]: t["task_name"] for t in TASKS}


def task_name(task: str) -> str:
    """A task given by name ("boil") or paper id ("1-1") as the engine's name."""
    if not isinstance(task, str):
        raise TypeError(f"a ScienceWorld task is a str (name or id like '1-1'), got {type(task).__name__}")
    if task in TASK_NAMES:
        return task
    if task in _BY_ID:
        return _BY_ID[task]
    raise ValueError(f"unknown ScienceWorld task {task!r}; expected one of {list(_BY_ID)} or {list(TASK_NAMES)}")


def task_names(tasks) -> tuple[str, ...]:
    """None (all 30), one task, or a list of tasks, as engine names."""
    if tasks is None:
        return TASK_NAMES
    if isinstance(tasks, str):
        tasks = [tasks]
    names = tuple(dict.fromkeys(task_name(t) for t in tasks))
    if not names:
        raise ValueError("tasks must name at least one ScienceWorld task")
    return names


def simplification_string(simplifications) -> str:
    """'' / 'easy' / a comma list / a list, validated against ScienceWorld's simplifications."""
    if simplifications is None:
        return ""
    parts = simplifications.split(",") if isinstance(simplifications, str) else list(simplifications)
    parts = [p.strip() for p in parts if p.strip()]
    unknown = [p for p in parts if p not in SIMPLIFICATIONS]
    if unknown:
        raise ValueError(f"unknown ScienceWorld simplifications {unknown}; expected some of {list(SIMPLIFICATIONS)}")
    return ",".join(parts)


def split_variations(max_variations: int, split: str) -> list[int]:
    """The variations of a split, as ScienceWorld's ``PythonInterface.getSets`` makes them.

    Computed here so that a reset needs one task load, not two; tests check it against the
    engine's own lists for all 30 tasks.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    small = {0: ([], [], []), 1: ([0], [], [0]), 2: ([0], [], [1]), 3: ([0], [1], [2]), 4: ([0, 1], [2], [3])}
    if max_variations in small:
        return small[max_variations][SPLITS.index(split)]
    size = max_variations // 4  # four groups of `size`, and a short fifth group that joins test
    groups = [list(range(i, min(i + size, max_variations))) for i in range(0, max_variations, size)]
    sets = (groups[0] + groups[1], groups[2], groups[3] + (groups[4] if len(groups) > 4 else []))
    return sets[SPLITS.index(split)]


# The bounded choice list puts these verbs first; electrical verbs only for electrical tasks.
_VERB_ORDER = ("teleport", "go", "open", "close", "pick", "put", "move", "pour", "focus", "activate", "deactivate", "use",
               "look", "read", "mix", "dunk", "eat", "flush", "wait", "wait1", "inventory", "connect", "disconnect")
_NEVER_OFFERED = frozenset({"reset task", "task", "look around"})  # "look around" is always appended instead
ELECTRICAL_VERBS = frozenset({"connect", "disconnect"})


def bounded_choices(valid: list[str], limit: int, electrical: bool, task: str = "") -> list[str]:
    """At most ``limit`` of the engine's valid actions, in a fixed order, for agents that need a list.

    Drops "reset task" (it would restart the episode) and "task", drops connect/disconnect
    unless the task is electrical (they are ~75% of all combinations elsewhere), and removes
    duplicates. Every verb keeps a share: the verbs take turns (movement and manipulation
    first), each adding its next action until ``limit - 1`` are chosen, so the quadratic "move X
    to Y" combinations cannot crowd out "focus on X". A verb's actions come in order of the words
    they share with the ``task`` description (most first), then text, so "move soap to red box"
    under "move it to the red box" is not cut for "move air to bowl". The list is sorted by verb,
    then text, and always ends with "look around".
    """
    task_words = set(re.findall(r"[a-z0-9]+", task.lower()))

    def relevance(action: str) -> tuple[int, str]:
        return -len(set(action.split()[1:]) & task_words), action

    rank = {verb: i for i, verb in enumerate(_VERB_ORDER)}
    by_verb: dict[str, list[str]] = {}
    for action in sorted(set(valid) - _NEVER_OFFERED):
        verb = action.split(" ", 1)[0]
        if electrical or verb not in ELECTRICAL_VERBS:
            by_verb.setdefault(verb, []).append(action)
    turns = [sorted(by_verb[verb], key=relevance) for verb in sorted(by_verb, key=lambda v: (rank.get(v, len(rank)), v))]
    chosen: list[str] = []  # in turn order: round 0 of every verb, then round 1, ...
    for depth in range(max(map(len, turns), default=0)):
        chosen += [actions[depth] for actions in turns if depth < len(actions)]
    chosen = chosen[: max(limit - 1, 0)]
    ordered = sorted(chosen, key=lambda a: (rank.get(a.split(" ", 1)[0], len(rank)), a))
    return ordered + ["look around"]


def is_electrical(name: str) -> bool:
    return "power-component" in name or "conductivity" in name
