"""The imitation term (``algorithm.imitation_coef``): the expert's choice at every visited state,
recorded by the rollout and fitted beside the PPO loss."""

import numpy as np
import pytest
import torch

import envs
from agents.tiny import TinyAgent, TinyConfig
from agents.tiny.tokenizer import action_ids
from training.agent_factory import build_trainable
from training.config import ConfigError, load_config
from training.rollout import RolloutConfig, Task, rollout
from training.trainer import Trainer

ENV = "agora/Household-v0"
SMALL = TinyConfig(vocab_size=2048, dim=16, hidden=32)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_the_rollout_labels_each_decision_with_the_experts_choice_at_that_state():
    tasks = [Task(seed=s) for s in (3, 4)]
    records = rollout(ENV, TinyAgent(SMALL), tasks, RolloutConfig(group_size=2, memory_k=50, max_turns=12, label_expert=True))
    # Independently: replay each episode's own actions on a fresh env and ask the expert before each step.
    by_episode: dict[str, list] = {}
    for r in records:
        by_episode.setdefault(r.episode_id, []).append(r)
    checked = 0
    for episode, rows in by_episode.items():
        env = envs.make(ENV)
        env.reset(seed=tasks[int(episode.split(".")[0])].seed)
        for r in sorted(rows, key=lambda r: r.turn):
            expert = env.unwrapped.expert_action()
            (index,) = r.info["expert_choice"]
            assert r.info["candidate_ids"][index] == list(action_ids(expert, SMALL.max_words))
            env.step(r.action)
            checked += 1
    assert checked == len(records) > 20
    unlabelled = rollout(ENV, TinyAgent(SMALL), tasks[:1], RolloutConfig(max_turns=3))
    assert all("expert_choice" not in r.info for r in unlabelled)  # off by default: no expert calls


def test_the_imitation_term_raises_the_experts_choices_and_is_logged(tmp_path):
    overrides = ["rollout.tasks_per_batch=4", "rollout.group_size=2", "rollout.max_turns=15", "optim.lr=0.01", "algorithm.ppo_epochs=1",
                 "policy.tiny.dim=16", "policy.tiny.hidden=32", "policy.tiny.vocab_size=2048", "train.eval_every=0",
                 "log.progress_bar=false", "log.tensorboard=false", f"train.output_dir={tmp_path}"]
    config = load_config(None, [*overrides, "algorithm.imitation_coef=1.0"])
    trainer = Trainer(config, build_trainable(config))
    records = trainer.collect(0)
    rows = [r for r in records if "expert_choice" in r.info]
    assert len(rows) == len(records)

    def expert_nll():
        with torch.no_grad():
            scores = trainer.agent.token_scores([r.prompt_ids for r in rows], [r.info["expert_choice"] for r in rows], [r.info for r in rows])
        return float(-scores.logprobs.mean())

    before = expert_nll()
    zero = np.zeros(len(records))  # no policy gradient at all: only imitation can move the weights
    first = trainer.optimize(records, zero, 0)
    for update in range(1, 4):
        trainer.optimize(records, zero, update)
    assert first.imitation_nll == pytest.approx(before, rel=0.05)
    assert expert_nll() < 0.8 * before
    plain = load_config(None, [*overrides, "algorithm.imitation_coef=0"])
    assert Trainer(plain, build_trainable(plain)).optimize(records, np.ones(len(records)), 0).imitation_nll == 0.0


def test_imitation_needs_a_policy_that_picks_candidates():
    with pytest.raises(ConfigError, match="'algorithm.imitation_coef' does not apply with policy.action_head='generate'"):
        load_config(None, ["policy.backend=hf", "algorithm.imitation_coef=0.5"])
    scored = ["policy.backend=hf", "policy.action_head=score_candidates", "algorithm.imitation_coef=0.5"]
    assert load_config(None, scored).algorithm.imitation_coef == 0.5


def test_the_main_jobs_imitation_stays_with_its_env():
    assert load_config(None).algorithm.imitation_coef == 0.5  # the main job imitates the household expert
    other = load_config(None, ["env=agora/LostSalesText-v0"])  # like its env_kwargs, not carried to another env
    assert other.algorithm.imitation_coef == 0.0 and other.env_kwargs == {}
    assert load_config(None, ["env=agora/LostSalesText-v0", "algorithm.imitation_coef=0.2"]).algorithm.imitation_coef == 0.2
    assert load_config(None, ["policy.backend=hf"]).algorithm.imitation_coef == 0.0  # nor to an LLM backend
    assert load_config(None, ["policy.backend='hf'"]).algorithm.imitation_coef == 0.0  # however the value is written
    assert load_config(None, ["env=agora/Household-v0", "policy.backend=tiny"]).algorithm.imitation_coef == 0.5


def test_only_training_asks_the_expert():
    from training.config import eval_rollout, training_rollout

    config = load_config(None)
    assert training_rollout(config).label_expert and not eval_rollout(config).label_expert
