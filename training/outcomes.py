"""Episode outcomes: step rows folded into one won / reward / length summary per episode."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from training.records import StepRecord


@dataclass
class EpisodeOutcome:
    episode_id: str
    task_type: str
    won: bool
    reward: float
    length: int
    metrics: dict[str, float] = field(default_factory=dict)  # the env's info["episode_metrics"] at the end


def episode_outcomes(records: Sequence[StepRecord]) -> list[EpisodeOutcome]:
    """Fold step rows into episodes; a multi-agent episode is won if any agent's info says so."""
    rows = defaultdict(list)
    for r in records:
        rows[str(r.episode_id)].append(r)
    outcomes = []
    for episode_id, steps in rows.items():
        outcomes.append(
            EpisodeOutcome(
                episode_id=episode_id,
                task_type=str(steps[0].info.get("task_type", "all")),
                won=any(bool(s.info.get("won")) for s in steps if s.done),
                reward=float(sum(s.reward for s in steps)),
                length=len({s.turn for s in steps}),
                metrics={k: float(v) for k, v in steps[-1].info.get("episode_metrics", {}).items()},
            )
        )
    return outcomes
