"""The vLLM backend's token-exactness, checked against the Hugging Face model on CPU.

Both backends load the same converted SmolLM2-135M-Instruct in float32. The ids vLLM reports are
the ones its sampler drew exactly when a separate transformers forward pass, fed those ids,
gives back the log-probs vLLM's sampler reported for them (a shifted, re-tokenized or re-ordered
id would not). One engine per module: its startup dominates the run time.
"""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("vllm")

from agents import models  # noqa: E402
from agents.backends.hf import HFBackend  # noqa: E402
from agents.backends.vllm_backend import VLLMBackend  # noqa: E402
from agents.backends.base import SamplingConfig  # noqa: E402

pytestmark = pytest.mark.slow

PROMPTS = [
    "What is 2+2?",
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Name a colour."}],
    "Write one sentence about a cat.",
]
# vLLM's CPU kernels and transformers' sum in different orders: float32 rounding, nothing more.
LOGPROB_TOLERANCE = 1e-3  # measured: ~5e-5


@pytest.fixture(scope="module")
def hf():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a shared 2-core machine: see tests/test_backends.py
    try:
        yield HFBackend(models.default_model_path(), device="cpu")
    except models.ModelNotAvailableError as error:
        pytest.skip(str(error))
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def engine(hf):
    policy = VLLMBackend(hf.path, kv_cache_memory_bytes=256 << 20, max_model_len=1024)
    yield policy
    policy.close()


def max_gap(a, b):
    return max(abs(x - y) for x, y in zip(a, b))


def test_prompt_ids_match_the_hf_backend(engine, hf):
    (gen,) = engine.generate([PROMPTS[1]], SamplingConfig(temperature=0, max_tokens=1))
    assert gen.prompt_ids == hf.generate([PROMPTS[1]], SamplingConfig(temperature=0, max_tokens=1))[0].prompt_ids


def test_sampled_ids_and_logprobs_are_exact(engine, hf):
    sampling = SamplingConfig(temperature=0.8, top_p=0.9, max_tokens=12, seed=7)
    gens = engine.generate(PROMPTS, sampling)
    recomputed = hf.logprobs_of(
        [g.prompt_ids for g in gens], [g.response_ids for g in gens], temperature=0.8, top_p=0.9
    )
    for gen, again in zip(gens, recomputed):
        assert len(gen.response_ids) == len(gen.logprobs) == len(again) > 0
        assert all(math.isfinite(lp) and lp <= 0 for lp in gen.logprobs)
        assert max_gap(gen.logprobs, again) < LOGPROB_TOLERANCE
        if gen.finish_reason == "length":
            assert len(gen.response_ids) == sampling.max_tokens
        else:
            assert gen.response_ids[-1] in engine.stop_ids
    # The same seed gives the same samples; rows of a group get their own streams.
    assert [g.response_ids for g in engine.generate(PROMPTS, sampling)] == [g.response_ids for g in gens]
    group = engine.generate([PROMPTS[2]] * 3, SamplingConfig(temperature=1.0, max_tokens=6, seed=1))
    assert len({tuple(g.response_ids) for g in group}) > 1


def test_greedy_agrees_with_hf(engine, hf):
    greedy = SamplingConfig(temperature=0, max_tokens=8)
    ours, theirs = engine.generate(PROMPTS, greedy), hf.generate(PROMPTS, greedy)
    for a, b in zip(ours, theirs):
        assert a.response_ids == b.response_ids
        assert max_gap(a.logprobs, b.logprobs) < LOGPROB_TOLERANCE


def test_bad_prompts_are_explained(engine):
    with pytest.raises(ValueError, match="at most 1024"):
        engine.generate([[1] * 1024])
    with pytest.raises(ValueError, match="outside the vocabulary"):
        engine.generate([[1, 10**7]])


def test_update_weights_reloads_in_place(engine, hf, tmp_path):
    (probe,) = engine.generate([PROMPTS[0]], SamplingConfig(temperature=0, max_tokens=4))
    norm = hf.model.model.norm.weight
    original = norm.detach().clone()
    try:
        hf.load_state_dict({"model.norm.weight": original * 1.5}, strict=False)
        engine.update_weights(hf.save_checkpoint(tmp_path / "step1"))
        (changed,) = engine.generate([probe.prompt_ids], SamplingConfig(temperature=0, max_tokens=4))
        expected = hf.logprobs_of([changed.prompt_ids], [changed.response_ids], temperature=0)[0]
        assert max_gap(changed.logprobs, expected) < LOGPROB_TOLERANCE
        assert max_gap(changed.logprobs, probe.logprobs) > 0.01  # the new weights are in use
    finally:
        hf.load_state_dict({"model.norm.weight": original}, strict=False)
        engine.update_weights(hf.path)
    (restored,) = engine.generate([probe.prompt_ids], SamplingConfig(temperature=0, max_tokens=4))
    assert restored.response_ids == probe.response_ids
