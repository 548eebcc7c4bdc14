"""Step records: one row per agent decision, the unit every learner and viewer reads.

A trajectory is the rows sharing ``(episode_id, agent_id)``, ordered by ``turn``; a task
group is the rows sharing ``group_id`` (the G copies of one task, same initial state).
Token ids and sampler log-probs are kept exactly as sampled: training never re-tokenizes.

Rows serialize to JSONL (always) and Parquet (when ``pyarrow`` is installed).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Iterable, Iterator

Id = str | int


@dataclass
class StepRecord:
    episode_id: Id
    group_id: Id
    agent_id: Id
    turn: int
    obs: str  # the raw observation at this decision (no prompt, no memory): the step-grouping key
    prompt_ids: list[int]
    response_ids: list[int]
    logprobs: list[float]  # sampler log-prob of each response token; empty when no sampler produced it
    reward: float
    done: bool
    action_valid: bool
    env: str
    action: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("episode_id", "group_id", "agent_id"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise TypeError(f"StepRecord.{name} must be a str or int, got {type(value).__name__}")
        if isinstance(self.turn, bool) or not isinstance(self.turn, int) or self.turn < 0:
            raise TypeError(f"StepRecord.turn must be an int >= 0, got {self.turn!r}")
        for name in ("obs", "env", "action"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"StepRecord.{name} must be a str, got {type(getattr(self, name)).__name__}")
        for name in ("prompt_ids", "response_ids"):
            ids = getattr(self, name)
            if not isinstance(ids, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in ids):
                raise TypeError(f"StepRecord.{name} must be a list of int token ids")
        if not isinstance(self.logprobs, list) or not all(isinstance(x, (int, float)) for x in self.logprobs):
            raise TypeError("StepRecord.logprobs must be a list of float")
        if self.logprobs and len(self.logprobs) != len(self.response_ids):
            raise ValueError(
                f"StepRecord.logprobs has {len(self.logprobs)} entries for {len(self.response_ids)} response tokens"
            )
        if isinstance(self.reward, bool) or not isinstance(self.reward, (int, float)) or not math.isfinite(self.reward):
            raise ValueError(f"StepRecord.reward must be a finite number, got {self.reward!r}")
        for name in ("done", "action_valid"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"StepRecord.{name} must be a bool, got {type(getattr(self, name)).__name__}")
        if not isinstance(self.info, dict):
            raise TypeError(f"StepRecord.info must be a dict, got {type(self.info).__name__}")

    @property
    def trajectory_key(self) -> tuple[Id, Id]:
        return (self.episode_id, self.agent_id)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StepRecord":
        if not isinstance(data, dict):
            raise TypeError(f"a StepRecord is read from a dict, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown StepRecord fields {unknown}; extras belong in 'info'")
        required = {f.name for f in fields(cls) if f.name not in ("action", "info")}
        missing = sorted(required - set(data))
        if missing:
            raise ValueError(f"StepRecord is missing fields {missing}")
        return cls(**data)


def write_jsonl(path: str | os.PathLike, rows: Iterable[StepRecord], append: bool = False) -> int:
    """Write one JSON object per line (after what the file holds, with ``append``); returns the
    number of rows written."""
    count = 0
    with open(path, "a" if append else "w", encoding="utf-8") as out:
        for row in rows:
            try:
                line = json.dumps(row.to_dict(), ensure_ascii=False, allow_nan=False)
            except (TypeError, ValueError) as err:
                where = f"row {count} (episode {row.episode_id!r}, turn {row.turn})"
                raise ValueError(f"{where} is not JSON-serializable: {err}") from err
            out.write(line + "\n")
            count += 1
    return count


def iter_jsonl(path: str | os.PathLike) -> Iterator[StepRecord]:
    with open(path, encoding="utf-8") as src:
        for number, line in enumerate(src, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                yield StepRecord.from_dict(data)
            except (ValueError, TypeError) as err:
                raise ValueError(f"{os.fspath(path)}:{number}: not a valid step record: {err}") from err


def read_jsonl(path: str | os.PathLike) -> list[StepRecord]:
    return list(iter_jsonl(path))


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as err:
        raise ImportError("Parquet needs pyarrow (`pip install pyarrow`); JSONL works without it") from err
    return pyarrow


def write_parquet(path: str | os.PathLike, rows: Iterable[StepRecord]) -> int:
    """Write rows as a Parquet table; ``info`` is stored as a JSON string column."""
    pa = _pyarrow()
    records = [row.to_dict() for row in rows]
    for record in records:
        record["info"] = json.dumps(record["info"], ensure_ascii=False, allow_nan=False)
    table = pa.Table.from_pylist(records)
    pa.parquet.write_table(table, os.fspath(path))
    return len(records)


def read_parquet(path: str | os.PathLike) -> list[StepRecord]:
    pa = _pyarrow()
    rows = []
    for record in pa.parquet.read_table(os.fspath(path)).to_pylist():
        record["info"] = json.loads(record["info"]) if record.get("info") else {}
        rows.append(StepRecord.from_dict(record))
    return rows
