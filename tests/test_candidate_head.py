"""The candidate-scoring action head on the embedded SmolLM2-135M-Instruct (CPU, tiny batches):
its log-probs against a slow plain-forward loop, normalisation, token-exact records, a PPO ratio
of 1 before any update, and expert replies for guided rollouts with the generate head."""

from __future__ import annotations

import math
import os

import pytest

import envs
from agents.agent import Decision
from agents.parsing import parse_action
from agents.backends.base import SamplingConfig
from tests.toy_envs import CountdownEnv
from training.rollout import RolloutConfig, Task, rollout
from training.trainer import sampler_scores

pytest.importorskip("transformers")
torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def agent():
    from training.agent_factory import build_trainable
    from training.config import load_config

    config = load_config("smollm2_lora_cpu", ["policy.lora.dropout=0.0", "policy.action_head=score_candidates"])
    torch.set_num_threads(min(2, torch.get_num_threads()))
    agent = build_trainable(config)
    with torch.no_grad(), torch.random.fork_rng(devices=[]):  # a non-zero adapter: the LoRA path is exercised
        torch.manual_seed(0)
        for name, p in agent.model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.02)
    yield agent
    agent.close()


class MenuEnv(CountdownEnv):
    """Countdown with a menu of actions of different lengths: a short prompt, several candidates."""

    def admissible_actions(self) -> list[str]:
        return [str(self.current - 1), "skip", *WAITS]

    def _step(self, action: str):
        return super()._step("skip" if action in WAITS else action)  # the longer ones wait, like skip


WAITS = ("wait for the next number", "say nothing at all today")


envs.register("TestCandidateMenu-v0", MenuEnv, family="test")
MENU = "agora/TestCandidateMenu-v0"


@pytest.fixture(scope="module")
def decisions():
    out = []
    for seed in (3, 4):
        env = envs.make(MENU)  # one per decision: the expert reads the live state
        obs, info = env.reset(seed=seed)
        out.append(Decision(task=info["task"], observation=obs, admissible_actions=info["admissible_actions"],
                            max_turns=8, family="test", env=env.unwrapped))
    return out


def slow_candidate_logprobs(agent, prompt, candidates, temperature):
    """Each candidate's reply after the prompt in its own plain forward pass (no cache), averaged
    over the tokens after the replies' common prefix, then a softmax at ``temperature``."""
    shared = min(len(os.path.commonprefix(candidates)), min(len(c) for c in candidates) - 1)
    means = []
    with torch.no_grad():
        for c in candidates:
            ids = torch.tensor([[*prompt, *c]])
            logp = torch.log_softmax(agent.model(input_ids=ids).logits[0].float(), dim=-1)
            positions = range(len(prompt) + shared, len(prompt) + len(c))
            means.append(sum(float(logp[t - 1, ids[0, t]]) for t in positions) / len(positions))
    return torch.log_softmax(torch.tensor(means, dtype=torch.float64) / temperature, dim=0)


def test_head_logprobs_equal_a_slow_loop_over_candidates_and_sum_to_one(agent, decisions):
    gens = agent.act(decisions, SamplingConfig(temperature=0.7, seed=1))
    for gen in gens:
        candidates = gen.extra["candidate_ids"]
        slow = slow_candidate_logprobs(agent, gen.prompt_ids, candidates, 0.7)
        from agents.llm.candidate_head import candidate_policy

        with torch.no_grad():
            fast, _ = candidate_policy(agent.model, gen.prompt_ids, candidates, agent.pad_id, 0.7, 1.0)
        assert torch.allclose(fast.double(), slow, atol=1e-5)
        assert float(fast.exp().sum()) == pytest.approx(1.0, abs=1e-6)
        assert gen.extra["candidate_logprob"] == pytest.approx(float(slow[gen.extra["choice"]]), abs=1e-5)


def test_records_keep_the_chosen_reply_tokens_and_the_ratio_is_one_before_an_update(agent):
    config = RolloutConfig(group_size=2, max_turns=1, memory_k=2, sampling=SamplingConfig(temperature=1.0, seed=0))
    records = rollout(MENU, agent, [Task(seed=7)], config)
    assert len(records) == 2
    for r in records:
        choice = r.info["choice"]
        assert r.response_ids == r.info["candidate_ids"][choice]
        assert agent.tokenizer.decode(r.response_ids) == f"<action>{r.action}</action>{agent.tokenizer.eos_token}"
        assert r.action_valid  # the head cannot fail on format or pick an inadmissible action
    scores = agent.token_scores([r.prompt_ids for r in records], [r.response_ids for r in records], [r.info for r in records])
    assert scores.mask.sum(dim=1).tolist() == [1.0] * len(records)  # one "token" per row: the candidate
    sampler = sampler_scores(records)  # what the trainer takes as the sampler's log-probs
    assert sampler.mask.tolist() == scores.mask.tolist()
    ratio = torch.exp(scores.logprobs - sampler.logprobs)[:, 0]
    assert torch.allclose(ratio, torch.ones_like(ratio), atol=1e-5)
    scores.logprobs[:, 0].sum().backward()  # recomputed with gradients, into the adapter
    grads = [p.grad for p in agent.trainable_parameters() if p.grad is not None]
    assert grads and any(float(g.abs().sum()) > 0 for g in grads)
    agent.model.zero_grad(set_to_none=True)


def test_expert_steps_become_the_agents_own_replies(agent, decisions):
    expert = [d.env.expert_action() for d in decisions]
    forced = agent.act_as(decisions, expert, SamplingConfig(temperature=1.0))
    for d, gen, action in zip(decisions, forced, expert):
        assert gen.text == action and gen.extra["choice"] == d.admissible_actions.index(action) == 0
    agent.action_head = "generate"  # the same model with the free-generation head
    try:
        replies = agent.act_as(decisions, expert, SamplingConfig(temperature=1.0))
        for gen, action in zip(replies, expert):
            parsed = parse_action(agent.tokenizer.decode(gen.response_ids, skip_special_tokens=True), None)
            assert parsed.valid_format and parsed.action == action and gen.extra["action"] == action
            assert gen.response_ids[-1] == agent.end_id
        with torch.no_grad():
            scores = agent.token_scores([g.prompt_ids for g in replies], [g.response_ids for g in replies], [{}] * len(replies))
        for j, gen in enumerate(replies):
            assert all(math.isfinite(x) for x in gen.logprobs)
            assert torch.allclose(scores.logprobs[j, : len(gen.logprobs)], torch.tensor(gen.logprobs), atol=1e-5)
    finally:
        agent.action_head = "score_candidates"


def test_the_head_is_an_llm_setting_and_leaves_no_reply_length_to_set():
    from training.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="'policy.action_head' does not apply with policy.backend='tiny'"):
        load_config(None, ["policy.action_head=score_candidates"])
    with pytest.raises(ConfigError, match="'rollout.max_tokens' does not apply with policy.action_head='score_candidates'"):
        load_config("smollm2_candidates_cpu", ["rollout.max_tokens=32"])


def test_the_heads_prompt_lists_no_actions_and_asks_for_no_reasoning(agent, decisions):
    scored = agent.tokenizer.decode(agent.act(decisions[:1], SamplingConfig(temperature=0.0))[0].prompt_ids)
    agent.action_head = "generate"
    try:
        (free,) = agent.prompts(decisions[:1])
    finally:
        agent.action_head = "score_candidates"
    free = "\n".join(m["content"] for m in free)
    assert "Admissible actions:" in free and "<think>" in free
    assert "Admissible actions:" not in scored and "<think>" not in scored and "<action> </action>" in scored
    assert decisions[0].observation in scored and decisions[0].task in scored


def test_imitation_fits_the_experts_candidate_under_the_heads_softmax(agent, decisions):
    import copy

    import numpy as np

    from training.config import load_config
    from training.trainer import Trainer, as_expert_choice

    learner = copy.deepcopy(agent)  # the module's agent keeps its weights
    try:
        config = RolloutConfig(group_size=2, max_turns=2, memory_k=2, label_expert=True,
                               sampling=SamplingConfig(temperature=1.0, seed=0))
        records = rollout(MENU, learner, [Task(seed=5)], config)
        assert records and all(r.info["expert_choice"] == [0] for r in records)  # the menu's expert counts down

        def expert_logprobs():
            with torch.no_grad():
                return learner.token_scores([r.prompt_ids for r in records], [r.info["expert_choice"] for r in records],
                                            [as_expert_choice(r.info) for r in records]).logprobs[:, 0]

        before = expert_logprobs()
        for r, lp in zip(records, before):  # the label's candidate under the head's own distribution
            with torch.no_grad():
                full, _ = learner.candidate_distribution(r.prompt_ids, r.info["candidate_ids"])
            assert float(lp) == pytest.approx(float(full[0]), abs=1e-5)
        trainer_config = load_config("smollm2_lora_cpu", [
            "env=agora/TestCandidateMenu-v0", "policy.lora.dropout=0.0", "policy.action_head=score_candidates",
            "algorithm.imitation_coef=1.0", "optim.lr=0.01", f"algorithm.minibatch_size={len(records)}", "algorithm.grad_accum=1",
        ])
        trainer = Trainer(trainer_config, learner)
        zero = np.zeros(len(records))  # no policy gradient: only the imitation term moves the adapter
        stats = trainer.optimize(records, zero, 0)
        assert stats.imitation_nll == pytest.approx(float(-before.mean()), rel=1e-3)
        trainer.optimize(records, zero, 1)
        assert float(expert_logprobs().mean()) > float(before.mean()) + 0.05
    finally:
        learner.close()
