"""Smoke test and timing of the token backends on this machine.

    python scripts/vllm_smoke.py [--model default] [--rows 8] [--max-tokens 64] [--skip-vllm]

Loads the HF backend and (unless skipped) the vLLM backend on the same checkpoint, samples one
batch with each, prints load/startup times and tokens per second, and checks that transformers
recomputes vLLM's sampled log-probs (the token-exactness check of tests/test_backends_vllm.py).
"""

from __future__ import annotations

import argparse
import time

from agents.backends.hf import HFBackend
from agents.backends.base import SamplingConfig


def timed_generate(policy, prompts, sampling):
    start = time.perf_counter()
    gens = policy.generate(prompts, sampling)
    seconds = time.perf_counter() - start
    tokens = sum(len(g.response_ids) for g in gens)
    return gens, seconds, tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--rows", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--skip-vllm", action="store_true")
    args = parser.parse_args()

    prompts = [f"Tell me a short fact about the number {i}." for i in range(args.rows)]
    sampling = SamplingConfig(temperature=0.8, top_p=0.95, max_tokens=args.max_tokens, seed=0)

    start = time.perf_counter()
    hf = HFBackend(args.model)
    print(f"hf: load {time.perf_counter() - start:.1f} s ({hf.path})")
    timed_generate(hf, prompts[:1], SamplingConfig(max_tokens=2))  # warm-up
    _, seconds, tokens = timed_generate(hf, prompts, sampling)
    print(f"hf: {tokens} tokens in {seconds:.1f} s = {tokens / seconds:.1f} tokens/s ({args.rows} rows)")
    if args.skip_vllm:
        return

    from agents.backends.vllm_backend import VLLMBackend

    start = time.perf_counter()
    engine = VLLMBackend(hf.path, kv_cache_memory_bytes=512 << 20, max_model_len=2048)
    print(f"vllm: startup {time.perf_counter() - start:.1f} s")
    try:
        timed_generate(engine, prompts[:1], SamplingConfig(max_tokens=2))  # warm-up
        gens, seconds, tokens = timed_generate(engine, prompts, sampling)
        print(f"vllm: {tokens} tokens in {seconds:.1f} s = {tokens / seconds:.1f} tokens/s ({args.rows} rows)")
        again = hf.logprobs_of(
            [g.prompt_ids for g in gens], [g.response_ids for g in gens],
            temperature=sampling.temperature, top_p=sampling.top_p,
        )
        gap = max(abs(a - b) for g, row in zip(gens, again) for a, b in zip(g.logprobs, row))
        print(f"vllm vs hf recomputed log-probs: max |difference| = {gap:.2e}")
    finally:
        engine.close()


if __name__ == "__main__":
    main()
