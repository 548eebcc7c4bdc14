"""Policies without weights: the envs' scripted experts and a uniform admissible-action policy."""

from __future__ import annotations

import random
from collections.abc import Sequence

from pettingzoo import ParallelEnv

from agents.agent import Agent, Decision
from agents.backends.base import Generation, SamplingConfig


def _generation(action: str) -> Generation:
    return Generation(text=action, prompt_ids=None, response_ids=None, logprobs=None, finish_reason="stop")


class ExpertAgent(Agent):
    """Asks the env's own planner: ``expert_action()``, or ``expert_actions()`` for a multi-agent env.

    Both are declared on the env base classes (``envs.TextEnv``, ``envs.MultiAgentTextEnv``); an
    env without an expert raises ``NotImplementedError`` there, which reaches the caller as is.
    """

    def act(self, decisions: Sequence[Decision], sampling: SamplingConfig | None = None) -> list[Generation]:
        out = []
        for d in decisions:
            if d.env is None:
                raise ValueError("the expert policy needs the live env in Decision.env (the rollout sets it)")
            if isinstance(d.env, ParallelEnv):
                action = d.env.expert_actions()[d.agent_id]
            else:
                action = d.env.expert_action()
            out.append(_generation(action))
        return out


class RandomAgent(Agent):
    """Uniform over the admissible actions; reproducible from ``seed``."""

    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)

    def act(self, decisions: Sequence[Decision], sampling: SamplingConfig | None = None) -> list[Generation]:
        out = []
        for d in decisions:
            if not d.admissible_actions:
                raise ValueError(
                    f"the random policy picks among admissible actions, and this {d.family or 'env'} "
                    "observation lists none (a free-form env)"
                )
            out.append(_generation(self.rng.choice(d.admissible_actions)))
        return out
