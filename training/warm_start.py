"""A behaviour-cloning warm start: before RL, the tiny policy imitates the env's scripted expert.

The expert plays whole training episodes (its own tasks, drawn from the run's seed); every
decision is recorded exactly as the tiny policy would have seen it (its context and candidate ids,
``TinyAgent.encode``), with the expert's choice as the response. A few epochs of cross-entropy on
those choices follow. The household expert is privileged (it knows where every object is), so
its search steps cannot be imitated from the observation alone; what it can teach is the rest (take,
process, go to the target, put down) and a prior over where things tend to be. Off by default: on
the main job the cloned policy starts at 0.28 held-out success but is confident about searches it
cannot know and explores little, and RL from it was not faster (docs/benchmarks.md, 2026-12-01).
``env_kwargs.expert=search`` clones an expert that searches on what it has seen instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from agents.agent import Agent, Decision
from agents.backends.base import Generation, SamplingConfig
from agents.scripted import ExpertAgent
from agents.tiny.agent import TinyAgent
from training.records import StepRecord
from training.rollout import RolloutConfig, Task, rollout


class ExpertChoices(Agent):
    """Plays the scripted expert and records each choice as ``student`` would have made it."""

    def __init__(self, student: TinyAgent):
        self.student = student
        self.expert = ExpertAgent()

    def act(self, decisions: Sequence[Decision], sampling: SamplingConfig | None = None) -> list[Generation]:
        prompts, candidates, outcomes = self.student.encode(decisions)
        out = []
        for d, expert, prompt, cands, matches in zip(decisions, self.expert.act(decisions), prompts, candidates, outcomes):
            if expert.text not in d.admissible_actions:
                raise RuntimeError(f"the expert chose {expert.text!r}, which is not among the admissible actions")
            extra = {"candidate_ids": cands, "outcome_matches": matches, "temperature": 1.0, "top_p": 1.0}
            index = d.admissible_actions.index(expert.text)
            out.append(Generation(expert.text, prompt, [index], [0.0], "stop", extra))
        return out


@dataclass
class WarmStartStats:
    decisions: int
    loss_before: float  # mean negative log-likelihood of the expert's choices, first minibatches
    loss_after: float  # the same, last epoch's minibatches


def behaviour_clone(
    agent: TinyAgent,
    env_id: str,
    tasks: Sequence[Task],
    rollout_config: RolloutConfig,
    epochs: int,
    minibatch_size: int,
    lr: float,
    seed: int,
    env_kwargs: dict | None = None,
) -> WarmStartStats:
    """Record the expert on ``tasks`` (one episode each) and fit ``agent`` to its choices in place."""
    if not isinstance(agent, TinyAgent):
        raise ValueError("the behaviour-cloning warm start is implemented for the tiny policy only")
    config = RolloutConfig(memory_k=rollout_config.memory_k, max_turns=rollout_config.max_turns)
    records: list[StepRecord] = rollout(env_id, ExpertChoices(agent), tasks, config, episode_prefix="bc.", env_kwargs=env_kwargs)
    prompts = [r.prompt_ids for r in records]
    responses = [r.response_ids for r in records]
    extras = [r.info for r in records]
    optimizer = torch.optim.Adam(agent.trainable_parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    losses: list[list[float]] = []
    agent.train_mode(True)
    for _ in range(epochs):
        losses.append([])
        for batch in torch.randperm(len(records), generator=gen).split(minibatch_size):
            idx = batch.tolist()
            scores = agent.token_scores([prompts[i] for i in idx], [responses[i] for i in idx], [extras[i] for i in idx])
            loss = -scores.logprobs.mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses[-1].append(float(loss.detach()))
    agent.train_mode(False)
    return WarmStartStats(len(records), float(np.mean(losses[0])), float(np.mean(losses[-1])))
