"""The behaviour-cloning warm start: expert choices recorded as the tiny policy sees them, then fitted."""

import numpy as np
import pytest
import torch

from agents.backends.base import SamplingConfig
from agents.scripted import ExpertAgent
from agents.tiny import TinyAgent, TinyConfig
from training.config import ConfigError, load_config
from training.tasks import training_tasks
from training.rollout import RolloutConfig, rollout
from training.warm_start import ExpertChoices, behaviour_clone

SMALL = TinyConfig(vocab_size=2048, dim=16, hidden=32)
ENV = "agora/Household-v0"


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def tasks(n=6, seed=0):
    return training_tasks(ENV, "train", n, np.random.default_rng(seed))


def test_expert_choices_are_recorded_as_the_tiny_policy_would_see_them():
    agent = TinyAgent(SMALL)
    records = rollout(ENV, ExpertChoices(agent), tasks(3), RolloutConfig(memory_k=50, max_turns=50))
    expert = rollout(ENV, ExpertAgent(), tasks(3), RolloutConfig(memory_k=50, max_turns=50))
    assert [r.action for r in records] == [r.action for r in expert]  # the expert played, unchanged
    assert all(r.info["won"] for r in records if r.done)
    # Re-scoring the records gives the log-prob of exactly the action the expert took.
    scores = agent.token_scores([r.prompt_ids for r in records], [r.response_ids for r in records], [r.info for r in records])
    n_candidates = torch.tensor([len(r.info["candidate_ids"]) for r in records], dtype=torch.float32)
    assert scores.logprobs.squeeze(1).tolist() == pytest.approx((-n_candidates.log()).tolist(), abs=1e-5)  # untrained: uniform


def test_behaviour_cloning_fits_the_experts_choices():
    agent = TinyAgent(SMALL, seed=0)
    config = RolloutConfig(memory_k=50, max_turns=50)
    stats = behaviour_clone(agent, ENV, tasks(), config, epochs=40, minibatch_size=64, lr=3e-3, seed=0)
    assert stats.decisions > 20 and stats.loss_after < 0.5 * stats.loss_before
    # Played greedily on the same tasks, the cloned policy now wins most of them (the untrained one: none).
    greedy = RolloutConfig(memory_k=50, max_turns=50, sampling=SamplingConfig(temperature=0))

    def wins(policy):
        return sum(r.info["won"] for r in rollout(ENV, policy, tasks(), greedy) if r.done)

    assert wins(agent) >= 4 and wins(TinyAgent(SMALL, seed=0)) == 0


def test_warm_start_is_for_the_tiny_policy_only():
    with pytest.raises(ConfigError, match="'warm_start' does not apply with policy.backend='hf'"):
        load_config(None, ["policy.backend=hf", "warm_start.expert_episodes=8"])
