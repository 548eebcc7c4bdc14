"""The generation engine on its own Ray actor (agents/backends/ray_engine.py, ``ray.engine_actor``):
it samples what the in-process backend samples, token for token, before and after an update whose
weights reach it through Ray, and it ends with the trainer.

SmolLM2-135M-Instruct on the CPU; one local Ray for the module, no Ray process may outlive it."""

import pytest
import torch

from agents.backends.base import SamplingConfig
from agents.backends.hf import HFBackend
from agents.backends.ray_engine import RemoteBackend
from agents.llm.trainable import TrainableLLMAgent
from training.agent_factory import build_trainable
from training.config import load_config
from training.rollout import Task, rollout
from training.trainer import Trainer

from tests.ray_helpers import assert_process_ends, local_ray_session

PROMPTS = [
    [{"role": "user", "content": "Name a colour."}],
    "Count from one to five.",
    [1, 2, 3, 4, 5],  # token ids, used verbatim
]
GREEDY = SamplingConfig(temperature=0.0, max_tokens=10)
SAMPLED = SamplingConfig(temperature=1.0, max_tokens=10, seed=5)


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    yield from local_ray_session()


def same_generations(remote, local, atol=1e-5):
    assert [g.response_ids for g in remote] == [g.response_ids for g in local]
    assert [g.prompt_ids for g in remote] == [g.prompt_ids for g in local]
    assert [g.text for g in remote] == [g.text for g in local]
    for r, g in zip(remote, local):
        assert r.finish_reason == g.finish_reason
        torch.testing.assert_close(torch.tensor(r.logprobs), torch.tensor(g.logprobs), rtol=0, atol=atol)


def update_towards(agent, generations):
    """One optimizer step that raises the log-prob of ``generations``; ``after_update`` sends the weights."""
    optimizer = torch.optim.SGD(agent.trainable_parameters(), lr=0.05)
    agent.train_mode(True)
    scores = agent.token_scores([g.prompt_ids for g in generations], [g.response_ids for g in generations],
                                [{}] * len(generations))
    (-(scores.logprobs * scores.mask).sum()).backward()
    optimizer.step()
    agent.train_mode(False)
    agent.after_update()


def changed(after, before) -> bool:
    """Other replies, or other log-probs: the engine's weights did change."""
    return any(x.response_ids != y.response_ids or max(abs(a - b) for a, b in zip(x.logprobs, y.logprobs)) > 1e-3
               for x, y in zip(after, before))


def test_the_engine_actor_samples_like_the_in_process_backend_before_and_after_an_update():
    agent = TrainableLLMAgent(device="cpu", temperature=0.0, max_tokens=10)  # full fine-tuning
    here = HFBackend(agent.model, agent.tokenizer)  # holds the trained weights, whatever they become
    assert agent.engine_spec().model_path == "default"  # the embedded model: each node finds its own copy
    engine = RemoteBackend(agent.engine_spec(), num_cpus=1)
    try:
        agent.sample_on(engine)
        before = engine.generate(PROMPTS, GREEDY)
        same_generations(before, here.generate(PROMPTS, GREEDY))
        same_generations(engine.generate(PROMPTS, SAMPLED), here.generate(PROMPTS, SAMPLED))

        update_towards(agent, before)
        after = engine.generate(PROMPTS, GREEDY)
        same_generations(after, here.generate(PROMPTS, GREEDY))
        assert changed(after, before)  # the update reached the engine
    finally:
        engine.close()
    with pytest.raises(RuntimeError, match="closed"):
        engine.generate(PROMPTS, GREEDY)


def test_a_trainer_with_an_engine_actor_syncs_lora_adapters_and_ends_the_actor(tmp_path):
    config = load_config(None, [
        "env=agora/LostSalesText-v0", "env_kwargs.periods=1", "policy.backend=hf", "policy.lora.r=4",
        "train.device=cpu", "rollout.tasks_per_batch=1", "rollout.group_size=2", "rollout.max_turns=2",
        "rollout.max_tokens=8", "policy.require_think=false",
        "algorithm.skip_zero_advantage=false", "optim.lr=0.01", "log.progress_bar=false", "log.tensorboard=false",
        "ray.enabled=true", "ray.env_actors=1", "ray.cpus_per_env_actor=0.5", "ray.engine_actor=true",
        f"train.output_dir={tmp_path}",
    ])
    trainer = Trainer(config, build_trainable(config))
    agent = trainer.agent
    try:
        assert agent.policy is trainer.engine
        initial = {k: v.clone() for k, v in agent.state_dict()["tensors"].items()}
        sent = agent.engine_weights()
        assert sent.keys() == initial.keys() and all(".lora_" in k for k in sent)  # the adapters only travel
        metrics = trainer.train_one()
        changed = [k for k, v in agent.state_dict()["tensors"].items() if not v.equal(initial[k])]
        assert changed and metrics["loss/grad_norm"] > 0
        here = HFBackend(agent.model, agent.tokenizer)
        pid = trainer.engine.actor_pid
        # The rollout plays the same records through the engine actor as through the in-process sampler.
        tasks, settings = [Task(seed=3)], trainer.rollout_config(1)
        remote = rollout(config.env, agent, tasks, settings, env_kwargs=config.env_kwargs)
        agent.policy = here
        local = rollout(config.env, agent, tasks, settings, env_kwargs=config.env_kwargs)
        agent.policy = trainer.engine
        assert [r.to_dict() for r in remote] == [r.to_dict() for r in local]
    finally:
        trainer.close()
        agent.close()
    assert_process_ends(pid)


@pytest.mark.slow
def test_a_vllm_engine_actor_reloads_the_full_weights_it_is_sent():
    pytest.importorskip("vllm")
    agent = TrainableLLMAgent(rollout_backend="vllm", local_engine=False, device="cpu", temperature=0.0, max_tokens=10,
                              vllm_options={"kv_cache_memory_bytes": 256 << 20, "max_model_len": 1024})
    here = HFBackend(agent.model, agent.tokenizer)
    engine = RemoteBackend(agent.engine_spec(), num_cpus=1)
    try:
        agent.sample_on(engine)
        before = engine.generate(PROMPTS, GREEDY)
        # vLLM's CPU kernels sum in another order than transformers: float32 rounding (tests/test_backends_vllm.py).
        same_generations(before, here.generate(PROMPTS, GREEDY), atol=1e-3)
        update_towards(agent, before)
        after = engine.generate(PROMPTS, GREEDY)
        same_generations(after, here.generate(PROMPTS, GREEDY), atol=1e-3)
        assert changed(after, before)
    finally:
        engine.close()
