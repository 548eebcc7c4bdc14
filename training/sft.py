"""Supervised fine-tuning of an LLM policy on the env's scripted expert (`agora sft`).

The expert plays whole training episodes through the RL rollout itself (:func:`training.rollout.rollout`),
and each of its actions is recorded as the student LLM would have written it
(``TrainableLLMAgent.demonstrate``): the same prompt builder, memory window, chat template and
``<think>/<action>`` reply format, tokenised once into the step records' ``prompt_ids`` and
``response_ids``. So SFT data and RL rollouts of the same state hold the same prompt ids.

The loss is the negative log-likelihood of the responses only, averaged over response tokens:
the generate head's reply tokens (prompt tokens carry the label ``IGNORE``), or, for the
candidate-scoring head, the head's own policy: ``-log p(expert's action)`` under the softmax
over the admissible actions (one "token" per step, as in the RL loss).

The result is a run folder (``config.yaml`` and a checkpoint) that `agora eval --model DIR`
plays and `agora train --init-from DIR` starts RL from.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from agents.agent import Agent, Decision
from agents.backends.hf import _accepts_logits_to_keep
from agents.llm.candidate_head import HEAD, candidate_policy
from agents.backends.base import Generation, SamplingConfig
from training.guidance import expert_action
from training.records import StepRecord, read_jsonl, write_jsonl
from training.rollout import RolloutConfig, rollout
from training.tasks import training_tasks

IGNORE = -100  # the label of a token that is not trained on (the prompt), as in Hugging Face
DEFAULT_SFT_CONFIG = "smollm2_candidates_cpu"  # the small-LLM recipe on CPU
SFT_FILE = "sft.json"  # what marks a run folder as written by `agora sft`, with its statistics


class ExpertDemonstrator(Agent):
    """Plays the env's scripted expert; each step is recorded as ``student`` would have written it."""

    def __init__(self, student):
        self.student = student

    def act(self, decisions: Sequence[Decision], sampling: SamplingConfig | None = None) -> list[Generation]:
        return self.student.demonstrate(decisions, [expert_action(d) for d in decisions])


def rendering(config) -> dict:
    """What the demonstrations' token ids depend on besides the env: a cache rendered otherwise is refused."""
    p, r = config.policy, config.rollout
    return {"env": config.env, "env_kwargs": config.env_kwargs, "model": p.model or "default",
            "action_head": p.action_head, "require_think": p.require_think, "memory_k": r.memory_k,
            "max_turns": r.max_turns}


def collect_demonstrations(student, config, episodes: int, seed: int) -> list[StepRecord]:
    """The expert's steps on ``episodes`` training tasks drawn from ``seed``; only won episodes are kept."""
    tasks = training_tasks(config.env, config.rollout.split, episodes, np.random.default_rng(seed))
    play = RolloutConfig(memory_k=config.rollout.memory_k, max_turns=config.rollout.max_turns)
    records = rollout(config.env, ExpertDemonstrator(student), tasks, play, episode_prefix="sft.", env_kwargs=config.env_kwargs)
    won = {r.episode_id for r in records if r.info.get("won")}
    settings = rendering(config)
    for r in records:
        r.info["rendering"] = settings
    return [r for r in records if r.episode_id in won]


def save_demonstrations(path: str | Path, records: list[StepRecord]) -> None:
    """Write the records as JSONL, atomically: an interrupted write leaves no half cache behind."""
    tmp = Path(f"{path}.tmp")
    write_jsonl(tmp, records)
    os.replace(tmp, path)


def load_demonstrations(path: str | Path, config) -> list[StepRecord]:
    """The cached records, refused when they were rendered for another env, model or prompt layout."""
    records = read_jsonl(path)
    if not records:
        raise ValueError(f"--demos {path}: the file holds no demonstrations")
    wanted = rendering(config)
    for r in records:
        if r.info.get("rendering") != wanted:
            raise ValueError(f"--demos {path} was rendered with {r.info.get('rendering')}, this run renders {wanted}; "
                             "delete the file or give another --demos path to render them again")
    return records


# --- the loss ----------------------------------------------------------------------------


def sft_example(prompt_ids: Sequence[int], response_ids: Sequence[int]) -> tuple[list[int], list[int]]:
    """The input ids and labels of one step: the labels are the response tokens, ``IGNORE`` over the prompt."""
    if not prompt_ids or not response_ids:
        raise ValueError("a demonstration step needs prompt and response tokens")
    return [*prompt_ids, *response_ids], [IGNORE] * len(prompt_ids) + list(response_ids)


def token_nll(model, input_ids: Sequence[int], labels: Sequence[int]) -> tuple[torch.Tensor, int]:
    """The summed negative log-likelihood of the labelled tokens of one sequence, and their count.
    Logits are computed only from the first labelled token on (the prompt's would be discarded)."""
    first = next(i for i, label in enumerate(labels) if label != IGNORE)
    device = next(model.parameters()).device
    ids = torch.tensor([list(input_ids)], device=device)
    keep = len(input_ids) - first + 1
    kwargs = {"logits_to_keep": keep} if _accepts_logits_to_keep(model) else {}
    logits = model(input_ids=ids, **kwargs).logits[0, -keep:-1]
    targets = torch.tensor(list(labels[first:]), device=device)
    nll = torch.nn.functional.cross_entropy(logits.float(), targets, ignore_index=IGNORE, reduction="sum")
    return nll, int((targets != IGNORE).sum())


def step_nll(agent, record: StepRecord) -> tuple[torch.Tensor, int]:
    """The negative log-likelihood of one demonstration step under ``agent``'s policy, and its token count."""
    if record.info.get("action_head") == HEAD:
        logprobs, _ = candidate_policy(agent.model, record.prompt_ids, record.info["candidate_ids"], agent.pad_id, 1.0, 1.0)
        return -logprobs[int(record.info["choice"])], 1
    return token_nll(agent.model, *sft_example(record.prompt_ids, record.response_ids))


def mean_nll(agent, records: Sequence[StepRecord]) -> float:
    """The loss over ``records`` without gradients: total NLL over total response tokens."""
    total, count = 0.0, 0
    with torch.no_grad():
        for r in records:
            nll, n = step_nll(agent, r)
            total, count = total + float(nll), count + n
    return total / count


@dataclass
class SFTStats:
    steps: int  # demonstration steps trained on
    episodes: int  # demonstration episodes they come from
    epoch_losses: list[float]  # the mean training loss of each epoch, as it was trained
    seconds: float


def fine_tune(agent, records: Sequence[StepRecord], epochs: int, batch_size: int, lr: float, seed: int,
              max_grad_norm: float = 1.0, on_step=None) -> SFTStats:
    """AdamW on the trainable parameters, minibatches of ``batch_size`` steps in a seeded order;
    each minibatch's loss is its NLL over its response tokens (one step per forward pass)."""
    params = agent.trainable_parameters()
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    order = torch.Generator().manual_seed(seed)
    start, epoch_losses = time.perf_counter(), []
    agent.train_mode(True)
    for _ in range(epochs):
        total, count = 0.0, 0
        for batch in torch.randperm(len(records), generator=order).split(batch_size):
            rows = [records[i] for i in batch.tolist()]
            tokens = sum(len(r.response_ids) if r.info.get("action_head") != HEAD else 1 for r in rows)
            optimizer.zero_grad(set_to_none=True)
            for r in rows:
                nll, _ = step_nll(agent, r)
                (nll / tokens).backward()
                total += float(nll.detach())
            count += tokens
            torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
            optimizer.step()
            if on_step is not None:
                on_step(len(rows))
        epoch_losses.append(total / count)
    agent.train_mode(False)
    agent.after_update()
    episodes = len({r.episode_id for r in records})
    return SFTStats(len(records), episodes, epoch_losses, time.perf_counter() - start)


# --- the command ---------------------------------------------------------------------------


def check_numbers(args) -> None:
    for name in ("episodes", "epochs", "batch_size"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {value}")
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise ValueError(f"--lr must be a number > 0, got {args.lr}")


def check_expert(env_id: str, env_kwargs: dict) -> None:
    """The env is single-agent and has a scripted expert: checked on one reset, before any model loads."""
    import envs

    spec = envs.spec(env_id)
    if spec.kind == "multi":
        raise ValueError(f"agora sft plays single-agent envs; {spec.id} is multi-agent")
    env = envs.make(env_id, **env_kwargs)
    try:
        env.reset(seed=0, options={"split": "train"} if spec.splits else None)
        env.unwrapped.expert_action()
    except NotImplementedError:
        raise ValueError(f"{spec.id} has no scripted expert to learn from") from None
    finally:
        env.close()


def sft_command(args) -> int:
    """Check every argument, render (or read) the demonstrations, fine-tune, write the run folder."""
    import sys

    from training import checkpoint
    from training.agent_factory import build_trainable
    from training.commands import check_env_settings, check_policy_model, limit_threads
    from training.config import dump_config, load_config
    from training.run_dir import RUN_FILES, claim

    source = args.config or DEFAULT_SFT_CONFIG
    config = load_config(source, args.overrides)
    if config.policy.backend == "tiny":
        raise ValueError("agora sft fine-tunes LLM policies (policy.backend hf or vllm); the tiny policy imitates "
                         "the expert with `agora train warm_start.expert_episodes=N`")
    check_env_settings(config, args.overrides, source)
    check_policy_model(config)
    check_numbers(args)
    check_expert(config.env, config.env_kwargs)
    demos = Path(args.demos) if args.demos else None
    cached = None
    if demos is not None and demos.exists():
        cached = load_demonstrations(demos, config)
        if args.episodes is not None and args.episodes != len({r.episode_id for r in cached}):
            raise ValueError(f"--demos {demos} holds {len({r.episode_id for r in cached})} won episodes, not "
                             f"--episodes {args.episodes}; drop --episodes to use them or give a new --demos path")
    elif demos is not None and not demos.parent.is_dir():
        raise ValueError(f"--demos {demos}: folder {demos.parent} does not exist")
    out = Path(args.out or f"{config.train.output_dir}-sft")
    config.train.output_dir = str(out)
    claim(out, args.overwrite, "a run", (*RUN_FILES, SFT_FILE), "replace it with --overwrite or pick another --out")

    limit_threads()
    # SFT scores with the model itself: a vllm config's engine is not needed (the saved config keeps vllm).
    agent = build_trainable(config.model_copy(update={"policy": config.policy.model_copy(update={"backend": "hf"})}))
    try:
        if cached is None:
            t0 = time.perf_counter()
            records = collect_demonstrations(agent, config, args.episodes or 50, seed=config.train.seed)
            if not records:
                raise ValueError(f"the expert won none of its {args.episodes or 50} episodes within "
                                 f"rollout.max_turns={config.rollout.max_turns}: raise it")
            print(f"agora: rendered {len({r.episode_id for r in records})} won expert episodes ({len(records)} steps) "
                  f"in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            if demos is not None:
                save_demonstrations(demos, records)
        else:
            records = cached
        from tqdm import tqdm

        with tqdm(total=len(records) * args.epochs, desc="sft", unit="step", file=sys.stderr) as bar:
            stats = fine_tune(agent, records, args.epochs, args.batch_size, args.lr, seed=config.train.seed,
                              max_grad_norm=config.optim.max_grad_norm, on_step=bar.update)
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.yaml").write_text(dump_config(config))
        checkpoint.save(out, 0, agent.state_dict(), {"sft": asdict(stats)}, None, [])
        summary = {**asdict(stats), "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
                   "demos": str(demos) if demos else None}
        (out / SFT_FILE).write_text(json.dumps(summary, indent=1))
    finally:
        agent.close()
    losses = " -> ".join(f"{x:.3f}" for x in stats.epoch_losses)
    print(f"agora: fine-tuned on {stats.steps} expert steps ({stats.episodes} episodes) in {stats.seconds:.0f} s, "
          f"loss by epoch {losses}")
    print(f"agora: run folder {out}: `agora eval --policy hf --model {out}` or `agora train --init-from {out}`")
    return 0
