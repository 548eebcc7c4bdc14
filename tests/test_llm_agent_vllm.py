"""The trainable agent with a vLLM sampler (on CPU here): after an update, the engine samples from
the trained weights (LoRA folded in), so the trainer's recomputed log-probs match the sampler's.

One engine for the module; its startup (~25 s on CPU) dominates the run time.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")
pytest.importorskip("vllm")

from agents import models  # noqa: E402
from agents.llm.trainable import TrainableLLMAgent  # noqa: E402
from agents.backends.base import SamplingConfig  # noqa: E402

pytestmark = pytest.mark.slow

PROMPTS = ["Name a colour.", [{"role": "user", "content": "What is 2+2?"}]]
LOGPROB_TOLERANCE = 1e-3  # float32 on both sides; measured ~3e-5 (see tests/test_backends_vllm.py)


@pytest.fixture(scope="module")
def agent():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a shared 2-core machine: see tests/test_backends.py
    try:
        agent = TrainableLLMAgent(
            lora={"r": 8, "alpha": 16, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]},
            rollout_backend="vllm",
            device="cpu",
            vllm_options={"kv_cache_memory_bytes": 256 << 20, "max_model_len": 1024},
        )
    except models.ModelNotAvailableError as error:
        torch.set_num_threads(threads)
        pytest.skip(str(error))
    yield agent
    agent.close()
    torch.set_num_threads(threads)


def gap(generations, scores):
    return max(
        max(abs(a - b) for a, b in zip(g.logprobs, scores.logprobs[i, : len(g.logprobs)].tolist()))
        for i, g in enumerate(generations)
    )


def score(agent, generations):
    with torch.no_grad():
        return agent.token_scores([g.prompt_ids for g in generations], [g.response_ids for g in generations],
                                  [{}] * len(generations))


def test_after_update_pushes_the_adapted_weights_to_vllm(agent):
    sampling = SamplingConfig(temperature=1.0, max_tokens=8, seed=1)
    fresh = agent.policy.generate(PROMPTS, sampling)
    assert gap(fresh, score(agent, fresh)) < LOGPROB_TOLERANCE  # B = 0: adapter and base agree

    with torch.no_grad():  # stands in for an optimizer step
        for name, p in agent.model.named_parameters():
            if ".lora_B." in name:
                p.normal_(0, 0.05, generator=torch.Generator().manual_seed(len(name)))
    stale = agent.policy.generate(PROMPTS, sampling)
    assert gap(stale, score(agent, stale)) > 0.05  # the engine still has the old weights

    agent.after_update()
    pushed = agent.policy.generate(PROMPTS, sampling)
    assert gap(pushed, score(agent, pushed)) < LOGPROB_TOLERANCE
    assert agent.policy.llm is not None  # reloaded in place, same engine


def test_loading_a_checkpoint_also_reaches_vllm(agent):
    sampling = SamplingConfig(temperature=1.0, max_tokens=6, seed=2)
    before = agent.policy.generate(PROMPTS, sampling)
    state = agent.state_dict()
    for name, tensor in state["tensors"].items():
        if ".lora_B." in name:
            tensor.normal_(0, 0.05, generator=torch.Generator().manual_seed(len(name) + 1))
    agent.load_state_dict(state)
    assert gap(before, score(agent, before)) > 0.05  # the weights did change
    gens = agent.policy.generate(PROMPTS, sampling)
    assert gap(gens, score(agent, gens)) < LOGPROB_TOLERANCE
