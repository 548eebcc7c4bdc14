"""The LLM agent: prompts, parsing and token-exact records through the rollout; the trainable
SmolLM2 with LoRA: scoring, one PPO update, checkpoints and merged weights for vLLM.

The model tests share one embedded SmolLM2-135M-Instruct with a LoRA adapter (built from the
packaged ``smollm2_lora_cpu`` config) and one short household rollout, loaded once per module.
"""

from __future__ import annotations

import copy

import pytest

from agents.agent import Decision
from agents.llm import LLMAgent, build_llm_agent, decision_prompt
from agents.parsing import ParserConfig, parse_action
from agents.backends.base import Generation, Backend, SamplingConfig, check_prompts
from agents.prompting import Memory, get_template
from training.rollout import RolloutConfig, Task, rollout

HOUSEHOLD = "agora/Household-v0"


class ScriptedBackend(Backend):
    """Replies with fixed texts in turn and remembers the prompts it got (no model)."""

    def __init__(self, replies: list[str]):
        self.replies = replies
        self.prompts: list = []

    def generate(self, prompts, sampling=None):
        rows = check_prompts(prompts)
        self.prompts += rows
        start = len(self.prompts) - len(rows)
        return [
            Generation(self.replies[(start + i) % len(self.replies)], None, None, None, "stop", extra={"usage": {"n": 1}})
            for i in range(len(rows))
        ]


class SpyBackend(Backend):
    """A real backend whose every generation is kept, to compare with what the rollout stored."""

    def __init__(self, inner: Backend):
        self.inner = inner
        self.generations: list[Generation] = []

    def generate(self, prompts, sampling=None):
        out = self.inner.generate(prompts, sampling)
        self.generations += [copy.deepcopy(g) for g in out]
        return out


# --- prompts and parsing, no model -----------------------------------------------------------
def test_decision_prompt_numbers_remembered_steps_like_a_replayed_memory():
    history = [(f"obs {i}", f"act {i}") for i in range(5)]
    decision = Decision(task="put a mug in cabinet.", observation="obs 5", admissible_actions=["look", "inventory"],
                        memory=history[-2:], turn=5, max_turns=30, family="household")
    replayed = Memory(k=2)
    for obs, act in history:
        replayed.add(obs, act)
    expected = get_template("household").build(
        task="put a mug in cabinet.", observation="obs 5", memory=replayed, admissible_actions=["look", "inventory"],
        max_steps=30, parser=ParserConfig(require_think=False),
    )
    prompt = decision_prompt(decision, ParserConfig(require_think=False))
    assert prompt == expected
    assert "[Step 4] Your action: act 3" in prompt[1]["content"] and "This is step 6 of 30." in prompt[1]["content"]


def test_llm_agent_parses_replies_and_bad_output_keeps_the_episode_going():
    valid = "<think>I should look.</think><action>  LOOK </action>"
    policy = ScriptedBackend([valid, "I have no idea what to do."])
    agent = LLMAgent(policy, require_think=True)
    records = rollout(HOUSEHOLD, agent, [Task(seed=5, options={"split": "train"})],
                      RolloutConfig(group_size=2, max_turns=3, sampling=SamplingConfig(temperature=0)))
    assert len(records) == 6  # neither bad replies nor inadmissible actions end an episode
    by_copy = {c: [r for r in records if r.episode_id.endswith(f".{c}")] for c in (0, 1)}
    good, bad = by_copy[0], by_copy[1]  # the two copies decide in order, so replies alternate
    assert [r.action for r in good] == ["look"] * 3 and all(r.action_valid for r in good)
    assert [r.action for r in bad] == [""] * 3 and not any(r.action_valid for r in bad)
    assert bad[1].obs == bad[2].obs == "Nothing happens."  # the env explains and goes on
    # The step records carry no backend extras (here the HTTP-like "usage" of every reply).
    assert all(set(r.info) - {"reply", "final_obs"} == {"won", "task_type"} for r in records)
    assert len(policy.prompts) == 6 and policy.prompts[0][0]["role"] == "system"


def test_llm_agent_rejects_non_decisions_and_non_policies():
    with pytest.raises(TypeError, match="Backend"):
        LLMAgent("hf")
    with pytest.raises(TypeError, match="decision 0"):
        LLMAgent(ScriptedBackend(["x"])).act([{"task": "t"}])
    assert LLMAgent(ScriptedBackend(["x"])).act([]) == []


def test_build_llm_agent_checks_its_arguments():
    with pytest.raises(ValueError, match="unknown LLM backend"):
        build_llm_agent("tiny")
    with pytest.raises(ValueError, match="--base-url .* and --model"):
        build_llm_agent("openai", model=None, base_url="http://localhost:8000/v1")
    with pytest.raises(ValueError, match="--base-url is for the openai policy"):
        build_llm_agent("hf", base_url="http://localhost:8000/v1")
    agent = build_llm_agent("openai", model="served-model", base_url="http://localhost:1/v1", require_think=False)
    assert agent.policy.url == "http://localhost:1/v1/chat/completions" and not agent.parser.require_think


def test_trainable_agent_checks_settings_before_loading_a_model():
    torch = pytest.importorskip("torch")
    from agents.llm.trainable import TrainableLLMAgent

    with pytest.raises(ValueError, match="rollout_backend"):
        TrainableLLMAgent(rollout_backend="tiny")
    with pytest.raises(ValueError, match="unknown LoRA settings"):
        TrainableLLMAgent(lora={"r": 8, "alpha": 16, "dropout": 0.0, "target_modules": ["q_proj"], "rank": 4})
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            TrainableLLMAgent(device="cuda")


# --- the trainable SmolLM2 with LoRA -------------------------------------------------------
@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch")
    pytest.importorskip("peft")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a shared 2-core machine: see tests/test_backends.py
    yield torch
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def agent(torch):
    from agents import models
    from training.agent_factory import build_trainable
    from training.config import load_config

    config = load_config("smollm2_lora_cpu", ["policy.lora.dropout=0.0"])  # dropout off: exact comparisons
    try:
        agent = build_trainable(config)
    except models.ModelNotAvailableError as error:
        pytest.skip(str(error))
    agent.micro_batch_size = 3  # several micro-batches in the tests below
    yield agent
    agent.close()


@pytest.fixture(scope="module")
def rolled(agent):
    """One household task, 2 copies x 2 turns sampled at T=1 through the rollout, with a spy on the backend."""
    spy = SpyBackend(agent.policy)
    records = rollout(HOUSEHOLD, LLMAgent(spy), [Task(seed=3, options={"split": "train"})],
                      RolloutConfig(group_size=2, memory_k=2, max_turns=2,
                                    sampling=SamplingConfig(temperature=1.0, max_tokens=24, seed=0)))
    return spy, records


@pytest.fixture(scope="module")
def scored(agent, rolled, torch):
    """The trainer's scores of the rollout's records under the (untrained) adapter."""
    records = rolled[1]
    with torch.no_grad():
        return agent.token_scores([r.prompt_ids for r in records], [r.response_ids for r in records], [r.info for r in records])


def adapter_state(agent):
    return {k: v.clone() for k, v in agent.state_dict()["tensors"].items()}


def test_state_dict_holds_only_the_adapter(agent):
    state = agent.state_dict()
    assert state["config"] == {"lora": {"r": 8, "alpha": 16, "dropout": 0.0,
                                        "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"]}}
    names = list(state["tensors"])
    assert len(names) == 30 * 4 * 2 and all(".lora_A." in n or ".lora_B." in n for n in names)
    assert sum(t.numel() for t in state["tensors"].values()) == sum(p.numel() for p in agent.trainable_parameters())
    assert all(not p.requires_grad for n, p in agent.model.named_parameters() if "lora_" not in n)


def test_adapter_round_trips_through_a_checkpoint(agent, tmp_path, torch):
    from training import checkpoint

    saved = adapter_state(agent)
    checkpoint.save(tmp_path, 1, agent.state_dict(), {"update": 1}, None, [])
    model_state, _, _, _ = checkpoint.load(tmp_path)
    with torch.no_grad():
        for p in agent.trainable_parameters():
            p.add_(0.01)
    assert any(not torch.equal(saved[k], v) for k, v in agent.state_dict()["tensors"].items())
    agent.load_state_dict(model_state)
    assert all(torch.equal(saved[k], v) for k, v in agent.state_dict()["tensors"].items())

    wrong = copy.deepcopy(model_state)
    wrong["config"]["lora"]["r"] = 4
    with pytest.raises(ValueError, match="LoRA settings"):
        agent.load_state_dict(wrong)
    del wrong["tensors"][next(iter(wrong["tensors"]))]
    wrong["config"] = model_state["config"]
    with pytest.raises(ValueError, match="missing"):
        agent.load_state_dict(wrong)


def test_response_logprobs_entropy_is_that_of_the_processed_distribution(agent, torch):
    from agents.backends.hf import processed_logprobs, response_logprobs
    from training.losses import entropy_from_logits

    prompts, responses = [[1, 2, 3, 4, 5], [6, 7]], [[10, 11, 12], [13]]
    with torch.no_grad():
        lp, mask, entropy = response_logprobs(agent.model, prompts, responses, temperature=0.7, top_p=0.8,
                                              with_entropy=True)
        lp2, mask2 = response_logprobs(agent.model, prompts, responses, temperature=0.7, top_p=0.8)
        for row, (p, r) in enumerate(zip(prompts, responses)):
            logits = agent.model(input_ids=torch.tensor([p + r])).logits[0, len(p) - 1 : len(p) + len(r) - 1]
            expected = entropy_from_logits(processed_logprobs(logits, 0.7, 0.8))
            torch.testing.assert_close(entropy[row, : len(r)], expected, atol=1e-4, rtol=1e-4)
    assert torch.equal(lp, lp2) and torch.equal(mask, mask2)
    assert entropy[1, 1:].abs().sum() == 0 and not mask[1, 1:].any()
    assert (entropy[mask] > 0).all()


@pytest.mark.slow
def test_rollout_records_are_exactly_what_the_backend_returned(rolled):
    spy, records = rolled
    assert len(records) == len(spy.generations) == 4
    for record, gen in zip(records, spy.generations):
        assert record.prompt_ids == gen.prompt_ids and record.response_ids == gen.response_ids
        assert record.logprobs == gen.logprobs and len(gen.response_ids) > 0
        parsed = parse_action(gen.text, None, ParserConfig(require_think=True))
        if not parsed.valid_format:
            assert not record.action_valid
    assert {r.turn for r in records} == {0, 1}  # every copy got a second turn
    assert any(not r.action_valid for r in records)  # SmolLM2-135M rarely answers in format


@pytest.mark.slow
def test_token_scores_reproduce_the_sampler_logprobs(rolled, scored):
    records, scores = rolled[1], scored
    assert scores.logprobs.shape == scores.entropy.shape == scores.mask.shape == (4, max(len(r.response_ids) for r in records))
    for i, r in enumerate(records):
        n = len(r.response_ids)
        assert scores.mask[i, :n].all() and not scores.mask[i, n:].any()
        assert max(abs(a - b) for a, b in zip(r.logprobs, scores.logprobs[i, :n].tolist())) < 1e-4


@pytest.mark.slow
def test_one_lora_update_changes_only_the_adapter_and_lowers_the_loss(agent, rolled, scored, torch):
    from training.losses import ppo_clip_loss

    rows = [r for r in rolled[1] if r.turn == 0]  # the first two records
    prompts, responses, extras = [r.prompt_ids for r in rows], [r.response_ids for r in rows], [r.info for r in rows]
    advantages = torch.tensor([1.0, -1.0])
    width = max(len(r) for r in responses)
    old_logprobs, mask = scored.logprobs[:2, :width], scored.mask[:2, :width]
    before = adapter_state(agent)
    frozen = {n: float(p.double().sum()) for n, p in agent.model.named_parameters() if not p.requires_grad}
    optimizer = torch.optim.AdamW(agent.trainable_parameters(), lr=1e-3, weight_decay=0.0)
    try:
        agent.train_mode(True)
        scores = agent.token_scores(prompts, responses, extras)
        loss_before = ppo_clip_loss(scores.logprobs, old_logprobs, advantages, mask).loss
        loss_before.backward()
        optimizer.step()
        agent.train_mode(False)
        with torch.no_grad():
            after = agent.token_scores(prompts, responses, extras)
        loss_after = ppo_clip_loss(after.logprobs, old_logprobs, advantages, mask).loss
        assert float(loss_after) < float(loss_before.detach()) - 1e-3
        changed = [k for k, v in agent.state_dict()["tensors"].items() if not torch.equal(v, before[k])]
        assert changed and all(".lora_B." in k for k in changed)  # B starts at 0, so A has no gradient yet
        assert frozen == {n: float(p.double().sum()) for n, p in agent.model.named_parameters() if not p.requires_grad}
    finally:
        agent.train_mode(False)
        agent.load_state_dict({"config": agent.state_dict()["config"], "tensors": before})


def test_merged_weights_match_the_adapted_model(agent, torch, tmp_path):
    from transformers import AutoModelForCausalLM

    from agents.llm.weights import merged_state_dict, save_merged

    saved = adapter_state(agent)
    try:
        with torch.no_grad():
            for name, p in agent.model.named_parameters():
                if ".lora_B." in name:
                    p.normal_(0, 0.02, generator=torch.Generator().manual_seed(len(name)))
        ids = torch.tensor([[1, 42, 7, 99, 3]])
        with torch.no_grad():
            adapted = agent.model(input_ids=ids).logits
            with agent.model.disable_adapter():
                base = agent.model(input_ids=ids).logits
            merged = merged_state_dict(agent.model)
            assert not any("lora_" in k or "base_layer" in k for k in merged)
            plain = AutoModelForCausalLM.from_pretrained(save_merged(agent.model, tmp_path / "merged"))
            assert sorted((tmp_path / "merged").iterdir())[0].name == "config.json"
            again = plain(input_ids=ids).logits
        assert (adapted - base).abs().max() > 1e-2  # the adapter matters...
        torch.testing.assert_close(again, adapted, atol=1e-4, rtol=1e-4)  # ...and survives the merge
    finally:
        agent.load_state_dict({"config": agent.state_dict()["config"], "tensors": saved})


def test_deepcopy_is_an_independent_scoring_copy(agent, torch):
    clone = copy.deepcopy(agent)
    assert clone.policy.model is clone.model and clone.model is not agent.model
    with torch.no_grad():
        clone.trainable_parameters()[0].add_(1.0)
    assert not torch.equal(clone.trainable_parameters()[0], agent.trainable_parameters()[0])
