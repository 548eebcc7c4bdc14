"""G²RPO-A guided rollouts (Guo et al., 2025, arXiv 2508.13023), with the env's scripted expert as the guide.

In each group of G copies of a task, the first ``members`` copies follow the expert for their
first ``k`` steps, then the policy continues; the others play unguided. The expert's action is
rendered as the agent's own response (``agent.act_as``): the tiny policy's candidate index, an
LLM's ``<think>..</think><action>..</action>`` reply tokens, or the candidate head's choice,
each with its log-prob under the current policy, so the step records stay token-exact and the
PPO ratio of an expert step is well defined.

``k`` adapts by the paper's rule (:func:`next_guidance`), applied once per cycle of 3 updates.
Advantages are computed over the whole group, guided members included, as usual.

Expert steps enter the PPO loss by default (``guidance.expert_steps_in_loss``), as in the
reference code, where the injected ground-truth tokens are part of the scored completion: early
on they are the only successful steps a small model sees, and with a positive group advantage the
loss raises their probability (imitation where it paid off). Masking them keeps the gradient
on-policy: the expert's steps then only lift the advantages of the policy's own later steps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from agents.agent import Agent, Decision
from agents.backends.base import Generation, SamplingConfig

CYCLE = 3  # updates per adaptation cycle: two to measure, the third compares


def next_guidance(k: float, previous: Sequence[float], current: float, k_max: float) -> float:
    """The guidance length after the third update of a cycle.

    ``previous``: the success rates of the cycle's first two updates; ``current``: the third's.
    Success fell: k grows by ``mean(previous) / current``; rose: k shrinks by the same ratio;
    bounded to ``[1, k_max]``; unchanged when either rate is 0 (the ratio is undefined or 0).
    The reference code floors k to an int at each change (its k counts thousands of tokens);
    here k counts env steps, where flooring would keep k=1 from growing at any ratio below 2,
    so k stays real and the rollout guides ``round(k)`` steps (:meth:`AdaptiveGuidance.steps`).
    """
    before = sum(previous) / len(previous)
    if before == 0 or current == 0:
        return k
    return min(max(k * before / current, 1.0), float(k_max))


@dataclass
class AdaptiveGuidance:
    """The guidance length ``k`` and where the trainer is in the current 3-update cycle."""

    k: float
    k_max: float
    adaptive: bool = True
    cycle: list[float] = field(default_factory=list)  # success rates of this cycle's updates so far

    @property
    def steps(self) -> int:
        """Expert steps each guided member takes at the next update."""
        return max(1, math.floor(self.k + 0.5))  # half rounds up

    def observe(self, success: float) -> float:
        """Record one update's success rate (the whole batch's, guided members included, as in
        the reference code); at the third update of a cycle, adapt ``k``. Returns ``k``."""
        if not self.adaptive:
            return self.k
        self.cycle.append(float(success))
        if len(self.cycle) == CYCLE:
            self.k = next_guidance(self.k, self.cycle[:2], self.cycle[2], self.k_max)
            self.cycle = []
        return self.k

    def state_dict(self) -> dict:
        return {"k": self.k, "cycle": list(self.cycle)}

    def load_state_dict(self, state: dict) -> None:
        self.k, self.cycle = float(state["k"]), [float(x) for x in state["cycle"]]


def guided_rows(copies: Sequence[int], turn: int, members: int, steps: int) -> list[bool]:
    """Which decisions of a batch the expert makes: group copy ``c`` is guided at ``turn`` when it
    is one of the first ``members`` copies and fewer than ``steps`` turns have passed."""
    return [c < members and turn < steps for c in copies]


def act_with_guidance(
    agent: Agent, decisions: Sequence[Decision], guided: Sequence[bool], sampling: SamplingConfig
) -> list[Generation]:
    """The policy's generations for the unguided rows, the expert's actions rendered as the
    agent's own responses for the guided ones (marked ``extra["guided"] = True``)."""
    if not any(guided):
        return agent.act(decisions, sampling)
    act_as = getattr(agent, "act_as", None)
    if act_as is None:
        raise TypeError(f"guided rollouts need an agent that can render the expert's actions (act_as); {agent!r} cannot")
    free = [i for i, g in enumerate(guided) if not g]
    led = [i for i, g in enumerate(guided) if g]
    expert = [decisions[i] for i in led]
    actions = [expert_action(d) for d in expert]
    out: list[Generation | None] = [None] * len(decisions)
    for i, gen in zip(free, agent.act([decisions[i] for i in free], sampling) if free else []):
        out[i] = gen
    for i, gen in zip(led, act_as(expert, actions, sampling)):
        gen.extra["guided"] = True
        out[i] = gen
    return out


def expert_action(decision: Decision) -> str:
    """The env's scripted expert's next action for this decision (a clear error for an env without one)."""
    try:
        return decision.env.expert_action()
    except NotImplementedError as err:
        raise ValueError(f"this {decision.family} env has no scripted expert (guided rollouts, algorithm.imitation_coef and agora sft need one)") from err



# --- the trainer's side ------------------------------------------------------------------


def guidance_schedule(config) -> AdaptiveGuidance | None:
    """The k schedule of a ``TrainConfig`` with guidance on, else None."""
    g = config.guidance
    if not g.enabled:
        return None
    import envs

    if envs.spec(config.env).kind == "multi":
        raise ValueError(f"guided rollouts are for single-agent envs; {config.env} is multi-agent")
    return AdaptiveGuidance(k=g.k_init, k_max=g.k_max, adaptive=g.adaptive)


def is_expert_step(record) -> bool:
    return bool(record.info.get("guided", False))


def in_loss(record, config) -> bool:
    """Whether a step row enters the policy loss: every row, except expert steps when the config
    masks them. Masked or not, they count in the group's advantages (the estimator saw them)."""
    return config.guidance.expert_steps_in_loss or not is_expert_step(record)


def guidance_metrics(schedule: AdaptiveGuidance, records) -> dict[str, float]:
    """``guidance/k`` used by this update's rollouts, and the success rate of the guided members'
    episodes and of the unguided ones (nan when a batch has none of a kind)."""
    guided: dict = {}
    won: dict = {}
    for r in records:
        key = r.trajectory_key
        guided[key] = guided.get(key, False) or is_expert_step(r)
        won[key] = won.get(key, False) or bool(r.info.get("won", False))

    def rate(kind: bool) -> float:
        wins = [won[key] for key in guided if guided[key] == kind]
        return sum(wins) / len(wins) if wins else float("nan")

    return {"guidance/k": schedule.steps, "train/success_guided": rate(True), "train/success_unguided": rate(False)}
