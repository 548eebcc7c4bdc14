"""Learner throughput: agora's loss-and-backward pass against TRL's GRPOTrainer, side by side.

Both score the same batch of prompt and response token ids with the same SmolLM2-135M-Instruct
weights (the embedded copy, two identical instances) on the CPU, compute their token-mean
clipped policy loss (agora: ``ppo_clip`` with ``loss_agg=token-mean``; TRL: ``loss_type="bnpo"``,
``beta=0``: the same objective) and run backward. The two alternate, repeat after repeat, so
load on the machine hits both alike; tokens/s counts the real (unpadded) prompt and response
tokens of the batch. Both losses are printed: they must agree (a check that the passes compare
like with like).

    PYTHONPATH=. .venv/bin/python scripts/learner_vs_trl.py --rows 8 --prompt-len 256 --response-len 64 --repeats 5

TRL is not an agora dependency: ``pip install trl==1.16.0 -c <(echo torch==2.13.0)`` first (it
brings ``datasets``); the constraint keeps pip from replacing the CPU torch.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, no install needed

from training.agent_factory import build_trainable  # noqa: E402
from training.config import load_config  # noqa: E402
from training.losses import LOSSES, LossBatch  # noqa: E402


def make_batch(rows: int, prompt_len: int, response_len: int, vocab: int, seed: int):
    """Token ids with lengths spread over [len/2, len], and advantages of a GRPO batch."""
    rng = np.random.default_rng(seed)
    prompts = [rng.integers(10, vocab, int(rng.integers(prompt_len // 2, prompt_len + 1))).tolist() for _ in range(rows)]
    responses = [rng.integers(10, vocab, int(rng.integers(response_len // 2, response_len + 1))).tolist() for _ in range(rows)]
    advantages = torch.tensor(rng.standard_normal(rows), dtype=torch.float32)
    return prompts, responses, advantages


def agora_pass(agent, config, prompts, responses, advantages) -> float:
    scores = agent.token_scores(prompts, responses, [{}] * len(prompts))
    batch = LossBatch(scores.logprobs, scores.logprobs.detach(), advantages, scores.mask, scores.entropy, None)
    loss = LOSSES.get(config.algorithm.loss).call(config, batch).loss
    loss.backward()
    return float(loss.detach())


def trl_inputs(prompts, responses, advantages, pad_id: int) -> dict:
    """TRL's layout: prompts left-padded, completions right-padded."""
    p_len, r_len = max(map(len, prompts)), max(map(len, responses))
    prompt_ids = torch.full((len(prompts), p_len), pad_id)
    prompt_mask = torch.zeros_like(prompt_ids)
    completion_ids = torch.full((len(prompts), r_len), pad_id)
    completion_mask = torch.zeros_like(completion_ids)
    for i, (p, r) in enumerate(zip(prompts, responses)):
        prompt_ids[i, p_len - len(p):] = torch.tensor(p)
        prompt_mask[i, p_len - len(p):] = 1
        completion_ids[i, : len(r)] = torch.tensor(r)
        completion_mask[i, : len(r)] = 1
    return {"prompt_ids": prompt_ids, "prompt_mask": prompt_mask, "completion_ids": completion_ids,
            "completion_mask": completion_mask, "advantages": advantages, "num_items_in_batch": completion_mask.sum()}


def trl_trainer(model, tokenizer, rows: int, response_len: int, out_dir: str):
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    args = GRPOConfig(
        output_dir=out_dir, use_cpu=True, bf16=False, per_device_train_batch_size=rows, num_generations=rows,
        max_completion_length=response_len, loss_type="bnpo", beta=0.0, report_to="none", gradient_checkpointing=False,
    )
    trainer = GRPOTrainer(model=model, processing_class=tokenizer, reward_funcs=[lambda completions, **_: [0.0] * len(completions)],
                          args=args, train_dataset=Dataset.from_dict({"prompt": ["unused"] * rows}))
    trainer.current_gradient_accumulation_steps = 1  # what Trainer.training_step sets before compute_loss
    return trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=8)
    parser.add_argument("--prompt-len", type=int, default=256)
    parser.add_argument("--response-len", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)

    config = load_config(None, ["policy.backend=hf", "train.device=cpu", "train.bf16=false",
                                "train.gradient_checkpointing=false", "algorithm.loss_agg=token-mean",
                                "algorithm.entropy_coef=0", "algorithm.kl_coef=0"])  # TRL's bnpo with beta=0: no bonus
    agent = build_trainable(config)
    agent.micro_batch_size = args.rows  # one forward pass for the batch, as TRL's per_device_train_batch_size
    agent.train_mode(True)
    tokenizer = agent.tokenizer
    model = copy.deepcopy(agent.model)
    with tempfile.TemporaryDirectory() as out_dir:
        trainer = trl_trainer(model, tokenizer, args.rows, args.response_len, out_dir)
        model.train()
        prompts, responses, advantages = make_batch(args.rows, args.prompt_len, args.response_len, len(tokenizer), args.seed)
        inputs = trl_inputs(prompts, responses, advantages, tokenizer.pad_token_id or 0)
        tokens = sum(map(len, prompts)) + sum(map(len, responses))

        def trl_pass() -> float:
            loss = trainer.compute_loss(model, inputs)
            loss.backward()
            return float(loss.detach())

        passes = {"agora": lambda: agora_pass(agent, config, prompts, responses, advantages), "trl": trl_pass}
        seconds = {name: [] for name in passes}
        losses = {}
        for name, run in passes.items():  # warm-up, not timed
            losses[name] = run()
        for _ in range(args.repeats):
            for name, run in passes.items():
                agent.model.zero_grad(set_to_none=True)
                model.zero_grad(set_to_none=True)
                start = time.perf_counter()
                run()
                seconds[name].append(time.perf_counter() - start)

    print(f"batch: {args.rows} rows, {tokens} tokens (prompts up to {args.prompt_len}, responses up to "
          f"{args.response_len}); torch threads {torch.get_num_threads()}; load average {os.getloadavg()[0]:.2f}")
    print(f"loss: agora {losses['agora']:.6f}, TRL {losses['trl']:.6f}")
    for name, values in seconds.items():
        print(f"{name:6s} median {np.median(values):.3f} s per pass, {tokens / np.median(values):8.1f} tokens/s "
              f"(per repeat: {', '.join(f'{v:.3f}' for v in values)})")
    ratios = [t / a for a, t in zip(seconds["agora"], seconds["trl"])]
    print(f"agora / TRL tokens/s: {np.median(seconds['trl']) / np.median(seconds['agora']):.2f}x "
          f"(per repeat: {', '.join(f'{r:.2f}' for r in ratios)})")


if __name__ == "__main__":
    main()
