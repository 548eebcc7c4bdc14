"""Evaluation on fixed task panels (:mod:`training.tasks`): success rate and mean reward with
95% confidence intervals, from the episode outcomes of :mod:`training.outcomes`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

import envs
from agents.agent import Agent
from training.outcomes import EpisodeOutcome, episode_outcomes
from training.records import StepRecord
from training.rollout import RolloutConfig, rollout
from training.stats import Estimate, mean_interval, wilson_interval
from training.tasks import eval_panel


@dataclass
class EvalSummary:
    env: str
    policy: str
    split: str | None
    episodes: int
    success: Estimate
    reward: Estimate
    length: Estimate
    by_type: dict[str, Estimate] = field(default_factory=dict)
    metrics: dict[str, Estimate] = field(default_factory=dict)  # per episode, from the env's episode_metrics
    label: str = ""  # the row's unique name in a report (default: the policy)
    model: str | None = None  # the run folder or model path the policy loaded
    trajectories: str | None = None  # the row's trajectory file, beside summary.json
    by_role: dict = field(default_factory=dict)  # multi-agent envs: role -> training.team_stats.RoleStats

    def to_dict(self) -> dict:
        return asdict(self)

    def table_row(self) -> str:
        extra = "".join(f"  {name} {est}" for name, est in self.metrics.items())
        return f"{self.label or self.policy:<16} {self.episodes:>5}  success {self.success}  reward {self.reward}  steps {self.length.mean:.1f}{extra}"


def summarize(env_id: str, policy: str, split: str | None, outcomes: Sequence[EpisodeOutcome]) -> EvalSummary:
    by_type = defaultdict(list)
    for o in outcomes:
        by_type[o.task_type].append(o.won)
    return EvalSummary(
        env=env_id,
        policy=policy,
        split=split,
        episodes=len(outcomes),
        success=wilson_interval(sum(o.won for o in outcomes), len(outcomes)),
        reward=mean_interval([o.reward for o in outcomes]),
        length=mean_interval([float(o.length) for o in outcomes]),
        by_type={t: wilson_interval(sum(w), len(w)) for t, w in sorted(by_type.items())} if len(by_type) > 1 else {},
        metrics={name: mean_interval([o.metrics.get(name, 0.0) for o in outcomes])
                 for name in dict.fromkeys(k for o in outcomes for k in o.metrics)},
    )


def evaluate(
    env_id: str,
    agent: Agent,
    policy_name: str,
    split: str | None,
    episodes: int,
    seeds: Sequence[int] = (0,),
    rollout_config: RolloutConfig | None = None,
    batch_size: int = 32,
    on_episode=None,
    env_kwargs: dict | None = None,
    on_records=None,
) -> tuple[EvalSummary, list[StepRecord]]:
    """Play the panel once per sampling seed; the CI covers every episode played.
    ``env_kwargs`` configure the env (e.g. the difficulty the policy was trained on).
    ``on_records`` receives each batch's rows as soon as they are played (to write them out)."""
    base = rollout_config or RolloutConfig()
    tasks = eval_panel(env_id, split, episodes)
    records: list[StepRecord] = []
    for seed in seeds:
        config = replace(base, group_size=1, sampling=replace(base.sampling, seed=seed))
        for start in range(0, len(tasks), batch_size):
            chunk = tasks[start : start + batch_size]
            rows = rollout(env_id, agent, chunk, config, episode_prefix=f"s{seed}.{start}.", env_kwargs=env_kwargs)
            records += rows
            if on_records is not None:
                on_records(rows)
            if on_episode is not None:
                on_episode(len(chunk))
    summary = summarize(env_id, policy_name, split, episode_outcomes(records))
    if envs.spec(env_id).kind == "multi":
        from training.team_stats import role_stats

        summary.by_role = role_stats(records)
    return summary, records


def write_summary(out_dir: str | Path, summaries: Sequence[EvalSummary]) -> Path:
    """summary.json and a bar chart PNG with the CIs (trajectories are written as they are played)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps([s.to_dict() for s in summaries], indent=2, allow_nan=False))
    plot_summaries(summaries, out / "summary.png")
    return out


def trajectory_file(row: int, label: str) -> str:
    """The row's trajectory file name: numbered, so two labels that read alike never share one."""
    return f"trajectories_{row + 1:02d}_{_safe(label)}.jsonl"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def plot_summaries(summaries: Sequence[EvalSummary], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    types = sorted({t for s in summaries for t in s.by_type}) or []
    groups = ["overall"] + types
    width = 0.8 / max(1, len(summaries))
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(groups) * max(1, len(summaries))), 4))
    for k, s in enumerate(summaries):
        ests = [s.success] + [s.by_type.get(t, Estimate(float("nan"), float("nan"), float("nan"), 0)) for t in types]
        xs = np.arange(len(groups)) + k * width
        means = np.array([e.mean for e in ests])
        err = np.array([[e.mean - e.low for e in ests], [e.high - e.mean for e in ests]])
        ax.bar(xs, means, width, yerr=err, capsize=3, label=s.label or s.policy)
    ax.set_xticks(np.arange(len(groups)) + width * (len(summaries) - 1) / 2)
    ax.set_xticklabels(groups, rotation=20, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("success rate (95% CI)")
    ax.set_title(f"{summaries[0].env} - split {summaries[0].split}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
