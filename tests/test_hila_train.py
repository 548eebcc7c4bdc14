"""`agora train` with trainer: hila (training.hila_trainer) and `agora eval` on agora/HILA-v0, with
the tiny policy: the config refuses what does not apply, the loss is the enumerated policy
gradient, and a two-round run logs the outer loop and evaluates with deferrals and cost."""

import json

import numpy as np
import pytest
import torch

from training.cli import main
from training.config import ConfigError, load_config

SMALL = ["--config", "hila_tiny", "train.updates=2", "rollout.tasks_per_batch=4", "hila.deploy_episodes=30",
         "train.eval_episodes=20", "train.eval_every=0", "train.checkpoint_every=0", "log.progress_bar=false"]


@pytest.mark.parametrize("overrides, message", [
    (["trainer=hila"], "trains the meta-policy of agora/HILA-v0"),
    (["algorithm.estimator=grpo"], "'algorithm.estimator' does not apply with trainer='hila'"),
    (["rollout.group_size=4"], "'rollout.group_size' does not apply with trainer='hila'"),
    (["hila.sft_lr=0.001"], "'hila.sft_lr' does not apply with hila.solver='simulated'"),
    (["hila.solver=policy"], "hila.solver=policy needs an LLM backend"),
    (["policy.backend=hf"], "needs policy.action_head=score_candidates"),
    (["train.updates=1"], "hila.outer_rounds=2 exceeds train.updates=1"),
])
def test_settings_hila_cannot_use_are_refused(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config("hila_tiny" if overrides != ["trainer=hila"] else None, overrides)


def test_hila_settings_do_not_apply_to_the_ppo_trainer():
    with pytest.raises(ConfigError, match="'hila.outer_rounds' does not apply with trainer='ppo'"):
        load_config(None, ["hila.outer_rounds=2"])


def test_the_group_loss_is_the_enumerated_policy_gradient():
    """Its gradient equals that of -mean_s sum_a pi(a|s) A_a, computed from the candidates' probabilities."""
    from training.agent_factory import build_trainable
    from training.hila import group_advantages
    from training.hila_trainer import HilaTrainer
    from training.rollout import RolloutConfig, rollout
    from training.tasks import training_tasks

    config = load_config("hila_tiny")
    agent = build_trainable(config)
    with torch.no_grad():  # leave the uniform start: a non-trivial pi
        for p in agent.trainable_parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())))
    tasks = training_tasks("agora/HILA-v0", "train", 2, np.random.default_rng(0))
    records = rollout("agora/HILA-v0", agent, tasks, RolloutConfig(memory_k=0), env_kwargs={"record_candidates": True})
    states = [r for r in records if "candidate_rewards" in r.info]
    advantages = [group_advantages(np.array(r.info["candidate_rewards"])) for r in states]
    trainer = HilaTrainer.__new__(HilaTrainer)  # _group_loss reads only the agent
    trainer.agent = agent
    loss, _ = trainer._group_loss(states, advantages)
    ours = torch.autograd.grad(loss, agent.trainable_parameters(), allow_unused=True)

    n = len(states[0].info["candidate_ids"])
    scores = agent.token_scores([r.prompt_ids for r in states for _ in range(n)], [[k] for _ in states for k in range(n)],
                                [r.info for r in states for _ in range(n)])
    pi = scores.logprobs[:, 0].exp().reshape(len(states), n)
    objective = -(pi * torch.tensor(np.stack(advantages), dtype=pi.dtype)).sum(1).mean()
    reference = torch.autograd.grad(objective, agent.trainable_parameters(), allow_unused=True)
    pairs = [(a, b) for a, b in zip(ours, reference) if b is not None]
    assert len(states) == 2 * 3 * 3 and pairs and max(float(b.abs().max()) for _, b in pairs) > 1e-4
    for a, b in pairs:
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-7)


@pytest.fixture(scope="module")
def two_round_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("hila") / "run"
    assert main(["train", *SMALL, f"train.output_dir={out}"]) == 0
    return out


def test_a_two_round_run_logs_each_round_and_what_the_solver_learned(two_round_run):
    rows = [json.loads(line) for line in (two_round_run / "metrics.jsonl").read_text().splitlines()]
    assert [r["update"] for r in rows] == [1, 2]
    first, last = rows
    assert first["hila/round"] == 0 and last["hila/round"] == 1
    for row in rows:  # per round and per task type: defer rate, expected reward, accuracy
        assert {"round/all/defer_rate", "round/math-d5/expected_reward", "round/qa-4hop/accuracy"} <= set(row)
        assert 0 < row["loss/learning_states"] <= row["loss/states"] == 4 * 3 * 3  # 4 games x 3 agents x 3 rounds
    # Round 0 ends with the deployment's answered deferrals; a correct one raises its type's skill.
    assert first["hila/examples"] >= first["hila/examples_correct"]
    skills = {k.removeprefix("hila/skill/"): v for k, v in first.items() if k.startswith("hila/skill/")}
    from envs.hila.env import DEFAULT_SOLVER_ACCURACY

    assert skills and all(skills[t] >= DEFAULT_SOLVER_ACCURACY[t] for t in skills)
    assert (first["hila/examples_correct"] > 0) == any(skills[t] > DEFAULT_SOLVER_ACCURACY[t] for t in skills)
    assert "hila/examples" not in last  # the last round learns nothing after it
    assert {"eval/success", "eval/deferrals", "eval/cost", "eval/creates"} <= set(last)


def test_agora_eval_reports_deferrals_and_cost_per_episode_with_intervals(two_round_run, tmp_path, capsys):
    out = tmp_path / "eval"
    assert main(["eval", "--env", "agora/HILA-v0", "--policy", "tiny", "expert", "--model", str(two_round_run),
                 "--split", "test", "--episodes", "12", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "deferrals" in printed and "cost" in printed
    summary = json.loads((out / "summary.json").read_text())
    for row in summary:
        assert set(row["metrics"]) == {"deferrals", "creates", "cost"}
        cost = row["metrics"]["cost"]
        assert cost["low"] <= cost["mean"] <= cost["high"]
    # The cost is the env's: lambda_defer per deferral plus lambda_create per new answer, per episode.
    for row in summary:
        m = {k: v["mean"] for k, v in row["metrics"].items()}
        assert m["cost"] == pytest.approx(0.3 * m["deferrals"] + 0.03 * m["creates"])
