"""Teams on SmolLM2 (CPU): per-role LoRA adapters on one frozen base, and one short training run
of each multi-agent env's team through `agora train` (kept tiny: few tasks, short replies)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import envs
from agents.agent import Decision
from agents.backends.base import SamplingConfig
from training.cli import main
from training.config import load_config
from training.records import StepRecord
from training.team_trainer import TeamTrainer

pytest.importorskip("peft")

SMALL = ["rollout.tasks_per_batch=1", "rollout.group_size=2", "rollout.max_tokens=6", "rollout.max_turns=2", "rollout.memory_k=0",
         "algorithm.recompute_old_logprobs=false",  # the hf sampler's log-probs come from the trained model itself
         "train.eval_episodes=1", "train.updates=1", "log.progress_bar=false"]


def lora_team(tmp_path) -> TeamTrainer:
    config = load_config("team_collab_math_smollm2_lora", [*SMALL, f"train.output_dir={tmp_path}"])
    torch.set_num_threads(1)
    return TeamTrainer(config)


def both_roles_rows(team) -> list[StepRecord]:
    """One solver and one verifier decision of a real game, answered by the team (free replies)."""
    env = envs.make("agora/CollabMath-v0", difficulty=1)
    observations, infos = env.reset(seed=0)
    decisions = [Decision(infos["solver"]["task"], observations["solver"], [], agent_id="solver", family="collab_math")]
    observations, _, _, _, infos = env.step({"solver": "answer: 7", "verifier": "wait"})
    decisions.append(Decision(infos["verifier"]["task"], observations["verifier"], infos["verifier"]["admissible_actions"],
                              agent_id="verifier", family="collab_math"))
    gens = team.act(decisions, SamplingConfig(temperature=1.0, max_tokens=6, seed=0))
    return [StepRecord(episode_id="e", group_id="g", agent_id=d.agent_id, turn=k, obs=d.observation,
                       prompt_ids=g.prompt_ids, response_ids=g.response_ids, logprobs=g.logprobs, reward=0.0, done=k == 1,
                       action_valid=True, env="agora/CollabMath-v0", info={"to_act": True})
            for k, (d, g) in enumerate(zip(decisions, gens))]


def checksum(params: dict) -> dict:
    return {n: float(p.detach().double().sum()) for n, p in params.items()}


@pytest.fixture(scope="module")
def trainer(tmp_path_factory):
    return lora_team(tmp_path_factory.mktemp("lora"))


def test_each_roles_rows_train_only_its_own_adapter_and_the_base_stays_frozen(trainer):
    adapters = trainer.agent.bases[0]
    learners = {l.roles[0]: l for l in trainer.learners}
    rows = both_roles_rows(trainer.agent)
    assert all(r.response_ids for r in rows)
    advantages = np.array([1.0, 1.0])  # the update itself is under test, not the estimator
    base = checksum(adapters.base_parameters())
    start = {role: checksum(adapters.parameters_of(role)) for role in adapters.roles}

    stats = trainer.optimize_learner(learners["solver"], rows, advantages, 0)
    assert stats["role/solver/grad_norm"] > 0 and not any("verifier" in k for k in stats)
    after = {role: checksum(adapters.parameters_of(role)) for role in adapters.roles}
    assert after["solver"] != start["solver"]
    assert after["verifier"] == start["verifier"]  # the solver's rows never reach the verifier's adapter
    assert checksum(adapters.base_parameters()) == base
    assert all(p.grad is None for p in adapters.base_parameters().values())

    trainer.optimize_learner(learners["verifier"], rows, advantages, 0)
    final = {role: checksum(adapters.parameters_of(role)) for role in adapters.roles}
    assert final["verifier"] != after["verifier"] and final["solver"] == after["solver"]
    assert checksum(adapters.base_parameters()) == base


def test_a_checkpoint_restores_every_adapter(trainer, tmp_path):
    trainer.update = 1
    trainer.save()
    adapters = trainer.agent.bases[0]
    saved = {role: {n: p.detach().clone() for n, p in adapters.parameters_of(role).items()} for role in adapters.roles}
    fresh = lora_team(tmp_path)
    fresh_adapters = fresh.agent.bases[0]
    assert any(not torch.equal(p, saved["solver"][n]) for n, p in fresh_adapters.parameters_of("solver").items())
    fresh.resume(trainer.out)
    assert fresh.update == 1
    for role in adapters.roles:
        restored = fresh_adapters.parameters_of(role)
        assert set(restored) == set(saved[role])
        assert all(torch.equal(restored[n], saved[role][n]) for n in restored)
    rows = both_roles_rows(trainer.agent)[1:]
    scored = [learner.agent.token_scores([r.prompt_ids for r in rows], [r.response_ids for r in rows], [r.info for r in rows])
              for learner in (trainer.learners[1], fresh.learners[1])]
    assert torch.allclose(scored[0].logprobs, scored[1].logprobs)
    fresh.agent.close()


TEAMS = {
    # collaborative math: one adapter per role on one base (the shipped config)
    "collab_math": [],
    # search QA: the three roles share one model and one LoRA adapter
    "search_qa": ["env=agora/SearchQA-v0", "env_kwargs={hops: 2}", "team.orchestration={kind: router, max_loops: 1}",
                  "team.models.smollm2.adapters=shared",
                  "team.roles={verifier: {model: smollm2}, searcher: {model: smollm2}, answerer: {model: smollm2}}"],
    # the beer game: every stage acts each period; the four share one adapter
    "beer_game": ["env=agora/InventoryBeerGame-v0", "team.orchestration={kind: parallel}",
                  "team.models.smollm2.adapters=shared", "rollout.group_size=1", "rollout.max_turns=1",  # long prompts
                  "team.roles={retailer: {model: smollm2}, wholesaler: {model: smollm2}, distributor: {model: smollm2}, "
                  "factory: {model: smollm2}}"],
}


@pytest.mark.parametrize("env", TEAMS)
def test_a_short_smollm2_team_run_of_each_multi_agent_env_completes_one_update(env, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--config", "team_collab_math_smollm2_lora", *SMALL, *TEAMS[env], f"train.output_dir={out}"]
    assert main(args) == 0
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert metrics[-1]["update"] == 1 and "eval/success" in metrics[-1]
    roles = load_config(out / "config.yaml").team.roles
    assert all(f"role/{role}/calls" in metrics[-1] for role in roles)
    assert any(k.endswith("/grad_norm") and k.startswith("role/") for k in metrics[-1])
    assert (out / "checkpoints" / "latest").is_file()
