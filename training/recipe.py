"""What a resume may change. A run's recipe (env, policy, algorithm, optimiser, rollout, seed) is
fixed when it starts: a resume that changed it would log one run made of two recipes under the
config of the second. Only the settings below may change on resume; anything else needs
``--allow-recipe-change``, and every change is appended to ``<run>/config_changes.jsonl`` with the
update at which it took effect."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI imports this module for its --help: keep it light
    from training.config import TrainConfig

# The update budget, the time budget, evaluation and checkpoint cadence, logging, and where envs
# run (ray.*: the Ray path records what the in-process path does).
RESUMABLE = ("train.updates", "train.max_minutes", "train.eval_every", "train.checkpoint_every", "log.*", "ray.*")
CHANGES_FILE = "config_changes.jsonl"


def may_change_on_resume(key: str) -> bool:
    return any(key == k or (k.endswith(".*") and key.startswith(k[:-1])) for k in RESUMABLE)


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict) and data:
        flat = {}
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
        return flat
    return {prefix[:-1]: data}


def changes(saved: "TrainConfig", new: "TrainConfig") -> list[tuple[str, Any, Any]]:
    """(dotted key, value in the run, value now) for every setting that differs; where the run
    lives (train.output_dir) is the folder being resumed, not a setting."""
    old, now = _flatten(saved.model_dump(mode="json")), _flatten(new.model_dump(mode="json"))
    missing = object()
    diff = []
    for key in sorted(set(old) | set(now)):
        if key != "train.output_dir" and old.get(key, missing) != now.get(key, missing):
            diff.append((key, old.get(key), now.get(key)))
    return diff


def check_resume(saved: "TrainConfig", new: "TrainConfig", allow_recipe_change: bool) -> list[tuple[str, Any, Any]]:
    """The changes a resume makes; a ConfigError naming each one that may not change."""
    from training.config import ConfigError

    diff = changes(saved, new)
    refused = [(k, a, b) for k, a, b in diff if not may_change_on_resume(k)]
    if refused and not allow_recipe_change:
        lines = "\n".join(f"  {k}: {a!r} in the run, {b!r} now" for k, a, b in refused)
        raise ConfigError(
            f"a resume may change only {', '.join(RESUMABLE)}; this one changes the recipe:\n{lines}\n"
            "drop those overrides, or pass --allow-recipe-change to continue with them (recorded in "
            f"{CHANGES_FILE})"
        )
    return diff


def record_changes(run_dir: str | Path, update: int, diff: list[tuple[str, Any, Any]]) -> None:
    with open(Path(run_dir) / CHANGES_FILE, "a", encoding="utf-8") as f:
        for key, old, new in diff:
            f.write(json.dumps({"update": update, "key": key, "from": old, "to": new}) + "\n")
