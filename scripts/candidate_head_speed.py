"""Seconds per decision of the candidate-scoring head on household prompts, three ways side by side.

The same decisions (the household expert's episodes on training tasks, the recipe's memory window)
are scored by SmolLM2-135M-Instruct + LoRA:

    full, float32       the generate head's prompt (admissible actions listed, <think> asked for)
    full, bf16 base     the same prompt, the frozen base in bfloat16 and the adapters in float32
    short, bf16 base    the candidate head's own prompt (no list, no reasoning): the recipe's setting

    python scripts/candidate_head_speed.py --episodes 3 --threads 2

Prints seconds per decision, prompt tokens, and each way's speed-up over the first.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, no install needed

from agents.agent import Decision  # noqa: E402
from agents.backends.chat import encode_prompt  # noqa: E402
from agents.llm.agent import decision_prompt  # noqa: E402
from agents.llm.candidate_head import candidate_policy, candidate_replies  # noqa: E402
from agents.scripted import ExpertAgent  # noqa: E402
from training.agent_factory import build_trainable  # noqa: E402
from training.config import load_config  # noqa: E402
from training.rollout import RolloutConfig, rollout  # noqa: E402
from training.tasks import training_tasks  # noqa: E402

CONFIG = "smollm2_candidates_cpu"


class RecordingExpert(ExpertAgent):
    """The env's scripted expert, keeping every decision the rollout showed it."""

    def __init__(self):
        self.decisions: list[Decision] = []

    def act(self, decisions, sampling=None):
        self.decisions.extend(decisions)
        return super().act(decisions, sampling)


def expert_decisions(config, episodes: int) -> list[Decision]:
    """Every decision of the expert's first ``episodes`` training episodes, as the recipe's rollouts build them."""
    tasks = training_tasks(config.env, config.rollout.split, episodes, np.random.default_rng(config.train.seed))
    expert = RecordingExpert()
    rollout(config.env, expert, tasks, RolloutConfig(memory_k=config.rollout.memory_k, max_turns=config.rollout.max_turns),
            env_kwargs=config.env_kwargs)
    return expert.decisions


def seconds_per_decision(agent, decisions: list[Decision], scored: bool) -> tuple[float, float]:
    """(seconds per decision, mean prompt tokens) of scoring every decision's candidates once."""
    prompts = [encode_prompt(agent.tokenizer, decision_prompt(d, agent.parser, scored)) for d in decisions]
    candidates = [candidate_replies(agent.tokenizer, d.admissible_actions, agent.end_id) for d in decisions]
    with torch.no_grad():
        candidate_policy(agent.model, prompts[0], candidates[0], agent.pad_id, 1.0, 1.0)  # warm-up
        t0 = time.perf_counter()
        for p, c in zip(prompts, candidates):
            candidate_policy(agent.model, p, c, agent.pad_id, 1.0, 1.0)
    return (time.perf_counter() - t0) / len(decisions), sum(map(len, prompts)) / len(prompts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=3, help="expert episodes whose decisions are scored")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    args = parser.parse_args()
    if args.episodes < 1 or args.threads < 1:
        parser.error("--episodes and --threads must be >= 1")
    torch.set_num_threads(args.threads)
    decisions = expert_decisions(load_config(CONFIG), args.episodes)  # the same decisions for every way
    rows = []
    for name, bf16, scored in (("full, float32", False, False), ("full, bf16 base", True, False), ("short, bf16 base", True, True)):
        agent = build_trainable(load_config(CONFIG, [f"train.bf16={str(bf16).lower()}"]))
        try:
            rows.append((name, *seconds_per_decision(agent, decisions, scored)))
        finally:
            agent.close()
    print(f"SmolLM2-135M-Instruct + LoRA, candidate head, {len(decisions)} household decisions, {args.threads} threads")
    print(f"{'prompt, weights':<18} {'s/decision':>10} {'prompt tok':>10} {'speed-up':>9}")
    for name, s, tokens in rows:
        print(f"{name:<18} {s:>10.3f} {tokens:>10.0f} {rows[0][1] / s:>8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
