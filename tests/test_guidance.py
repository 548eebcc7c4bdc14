"""G²RPO-A guided rollouts: the adaptive rule in literal numbers, which steps the expert takes and
which enter the loss, one guided update of the tiny policy, and k kept across checkpoints."""

import math

import pytest
import torch

from agents.logprobs import processed_logprobs
from agents.backends.base import SamplingConfig
from agents.scripted import ExpertAgent
from agents.tiny.agent import TinyAgent, batch_tensors
from training.agent_factory import build_trainable
from training.config import ConfigError, load_config
from training.guidance import AdaptiveGuidance, in_loss, next_guidance
from training.rollout import RolloutConfig, Task, rollout
from training.trainer import Trainer

ENV = "agora/Household-v0"
SMALL = [
    "rollout.tasks_per_batch=2",
    "rollout.group_size=3",
    "rollout.max_turns=8",
    "train.eval_episodes=2",
    "train.eval_every=0",
    "log.progress_bar=false",
    "log.tensorboard=false",
    "guidance.enabled=true",
]


# --- the adaptive rule ------------------------------------------------------------------


def test_k_grows_by_the_ratio_when_success_fell():
    assert next_guidance(4.0, (0.5, 0.3), 0.2, k_max=20) == pytest.approx(8.0)  # 4 * 0.4 / 0.2


def test_k_shrinks_by_the_ratio_when_success_rose():
    assert next_guidance(4.0, (0.5, 0.3), 0.8, k_max=20) == pytest.approx(2.0)  # 4 * 0.4 / 0.8


def test_k_is_bounded_to_one_and_k_max():
    assert next_guidance(10.0, (0.6, 0.6), 0.1, k_max=20) == 20.0  # 60 capped
    assert next_guidance(1.5, (0.2, 0.2), 0.8, k_max=20) == 1.0  # 0.375 floored at 1


def test_k_is_unchanged_when_either_rate_is_zero_or_nothing_changed():
    assert next_guidance(4.0, (0.5, 0.3), 0.0, k_max=20) == 4.0
    assert next_guidance(4.0, (0.0, 0.0), 0.5, k_max=20) == 4.0
    assert next_guidance(4.0, (0.4, 0.4), 0.4, k_max=20) == 4.0


def test_k_adapts_only_at_the_third_update_of_each_cycle():
    g = AdaptiveGuidance(k=4.0, k_max=20)
    assert [g.observe(s) for s in (0.5, 0.3)] == [4.0, 4.0]  # updates 1 and 2 only measure
    assert g.observe(0.2) == pytest.approx(8.0)  # update 3 compares 0.2 with mean(0.5, 0.3)
    assert [g.observe(s) for s in (0.4, 0.4)] == pytest.approx([8.0, 8.0])  # a fresh cycle
    assert g.observe(0.8) == pytest.approx(4.0)  # 8 * 0.4 / 0.8
    assert g.cycle == []


def test_guided_steps_round_k_half_up_and_a_fixed_schedule_never_moves():
    assert AdaptiveGuidance(k=2.5, k_max=20).steps == 3
    assert AdaptiveGuidance(k=2.49, k_max=20).steps == 2
    g = AdaptiveGuidance(k=4.0, k_max=20, adaptive=False)
    assert [g.observe(s) for s in (0.5, 0.3, 0.1)] == [4.0, 4.0, 4.0]


# --- the config ---------------------------------------------------------------------------


def test_guidance_settings_with_guidance_off_do_not_apply():
    with pytest.raises(ConfigError, match="'guidance.members' does not apply with guidance.enabled=False"):
        load_config(None, ["guidance.members=3"])
    with pytest.raises(ConfigError, match="'guidance.k_max' does not apply with guidance.adaptive=False"):
        load_config(None, ["guidance.enabled=true", "guidance.adaptive=false", "guidance.k_max=5"])


def test_guidance_that_cannot_work_is_a_config_error():
    with pytest.raises(ConfigError, match="guidance.members=5 exceeds rollout.group_size=4"):
        load_config(None, ["guidance.enabled=true", "guidance.members=5"])
    with pytest.raises(ConfigError, match="top_p=1"):
        load_config(None, ["guidance.enabled=true", "rollout.top_p=0.9"])


# --- guided rollouts -----------------------------------------------------------------------


def _distribution(agent, record):
    """The full candidate distribution of a stored tiny-policy step, recomputed from the record."""
    info = record.info
    with torch.no_grad():
        scores = agent.model(*batch_tensors([record.prompt_ids], [info["candidate_ids"]], [info["outcome_matches"]]))
    return processed_logprobs(scores, torch.tensor([info["temperature"]]), torch.tensor([info["top_p"]]))[0]


def test_guided_members_follow_the_expert_for_k_steps_then_the_policy():
    agent, k, members = TinyAgent(seed=0), 3, 2
    config = RolloutConfig(group_size=3, max_turns=8, sampling=SamplingConfig(temperature=0.0), guided_members=members,
                           guided_steps=k)
    tasks = [Task(seed=5), Task(seed=6)]
    records = rollout(ENV, agent, tasks, config)
    experts = rollout(ENV, ExpertAgent(), tasks, RolloutConfig(group_size=1, max_turns=k))
    expert_actions = {(r.episode_id.split(".")[0], r.turn): r.action for r in experts}
    seen_policy_steps = 0
    for r in records:
        task, copy = (int(x) for x in r.episode_id.split("."))
        logprobs = _distribution(agent, r)
        if copy < members and r.turn < k:
            assert r.info["guided"] is True
            assert r.action == expert_actions[(str(task), r.turn)]
        else:
            assert "guided" not in r.info
            assert r.response_ids == [int(logprobs.argmax())]  # greedy: the policy's own choice
            seen_policy_steps += copy < members
        assert r.logprobs[0] == pytest.approx(float(logprobs[r.response_ids[0]]), abs=1e-6)  # the current policy's
    assert seen_policy_steps > 0, "no guided member played on after its expert steps"


@pytest.mark.parametrize("in_the_loss", [True, False])
def test_which_steps_of_a_guided_trajectory_enter_the_loss(tmp_path, in_the_loss):
    config = load_config(None, [*SMALL, "train.updates=1", "algorithm.skip_zero_advantage=false",
                                f"guidance.expert_steps_in_loss={str(in_the_loss).lower()}", f"train.output_dir={tmp_path}"])
    agent = build_trainable(config)
    trainer = Trainer(config, agent)
    records = trainer.collect(0)
    expert_turns = sorted({r.turn for r in records if r.info.get("guided")})
    assert expert_turns == [0, 1, 2]  # k_init = 3 steps
    scored = []
    original = agent.token_scores
    agent.token_scores = lambda p, r, extras: scored.append(list(extras)) or original(p, r, extras)
    trainer.optimize(records, trainer_advantages(trainer, records), 0)
    rows = scored[0]  # the old-policy pass sees exactly the rows of the loss
    guided_in_loss = sum(bool(e.get("guided")) for e in rows)
    expert_steps = sum(bool(r.info.get("guided")) for r in records)
    assert len(rows) == len(records) - (0 if in_the_loss else expert_steps)
    assert guided_in_loss == (expert_steps if in_the_loss else 0)
    assert [in_loss(r, config) for r in records] == [in_the_loss or not r.info.get("guided") for r in records]


def trainer_advantages(trainer, records):
    from training.trainer import compute_advantages

    return compute_advantages(records, trainer.config)


def test_one_guided_update_of_the_tiny_policy_logs_k_and_both_success_rates(tmp_path):
    config = load_config(None, [*SMALL, "train.updates=1", f"train.output_dir={tmp_path}"])
    agent = build_trainable(config)
    before = {k: v.clone() for k, v in agent.state_dict()["tensors"].items()}
    m = Trainer(config, agent).run()[-1]
    assert any(not agent.state_dict()["tensors"][k].equal(before[k]) for k in before)
    assert m["guidance/k"] == 3
    for key in ("train/success_guided", "train/success_unguided"):
        assert 0.0 <= m[key] <= 1.0
    assert math.isfinite(m["loss/loss"])


def test_a_checkpoint_keeps_k_and_the_cycle(tmp_path):
    config = load_config(None, [*SMALL, "train.updates=2", f"train.output_dir={tmp_path}"])
    trainer = Trainer(config, build_trainable(config))
    trainer.train_one()
    trainer.guidance.k, trainer.guidance.cycle = 5.5, [0.25]  # as if earlier cycles had moved it
    trainer.save()
    resumed = Trainer(config, build_trainable(config), output_dir=tmp_path)
    resumed.resume()
    assert resumed.guidance.state_dict() == {"k": 5.5, "cycle": [0.25]}
    assert resumed.rollout_config(resumed.update).guided_steps == 6
