"""Check every `agora eval` argument before the first episode, and name each report row.

An evaluation may run for hours; an argument it could have rejected at the start (a panel
larger than the split, a policy without its model, a bad number) must not surface after the
first policies have played.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import envs
from training.agent_factory import POLICIES, is_run_folder
from training.tasks import eval_panel

NEEDS_NO_MODEL = ("expert", "random")


@dataclass
class EvalRow:
    policy: str  # expert, random, tiny, hf, vllm or openai
    model: str | None  # the run folder or model path/name it loads
    label: str  # unique within the report


def check_numbers(args) -> None:
    if args.episodes < 1:
        raise ValueError(f"--episodes must be >= 1, got {args.episodes}")
    if args.temperature is not None and not (math.isfinite(args.temperature) and args.temperature >= 0):
        raise ValueError(f"--temperature must be a number >= 0 (0 = greedy), got {args.temperature}")
    if args.max_tokens is not None and args.max_tokens < 1:
        raise ValueError(f"--max-tokens must be >= 1, got {args.max_tokens}")
    if args.max_turns is not None and args.max_turns < 1:
        raise ValueError(f"--max-turns must be >= 1, got {args.max_turns}")
    if args.memory_k is not None and args.memory_k < 0:
        raise ValueError(f"--memory-k must be >= 0, got {args.memory_k}")


def pair_models(policies: list[str], models: list[str]) -> list[tuple[str, str | None]]:
    """Each learned policy takes the next --model in order; expert and random take none."""
    unknown = [p for p in policies if p not in POLICIES]
    if unknown:
        raise ValueError(f"unknown policy {unknown[0]!r}; choose from {', '.join(POLICIES)}")
    learned = [p for p in policies if p not in NEEDS_NO_MODEL]
    if len(models) > len(learned):
        raise ValueError(f"{len(models)} --model values for {len(learned)} learned policies ({', '.join(learned) or 'none'})")
    queue = list(models)
    return [(p, None if p in NEEDS_NO_MODEL or not queue else queue.pop(0)) for p in policies]


def check_model(policy: str, model: str | None, base_url: str | None) -> None:
    if policy == "tiny":
        if model is None:
            raise ValueError("--policy tiny needs a --model RUN_DIR (a folder written by `agora train`), in policy order")
        from training import checkpoint

        checkpoint.find(model)  # a FileNotFoundError that says what it looked for
    elif policy in ("hf", "vllm") and model not in (None, "default") and not is_run_folder(model):
        check_model_dir(model, f"--model {model!r} for --policy {policy}")
    elif policy == "team":
        if model is None or not (is_run_folder(model) or Path(model).is_file()):
            raise ValueError("--policy team needs a --model: a team's training run folder, or a team config file "
                             "(its untrained team), in policy order")
    elif policy == "openai" and (model is None or base_url is None):
        raise ValueError("--policy openai needs --base-url (e.g. http://localhost:8000/v1) and a --model "
                         "(the name the server serves), in policy order")


def check_model_dir(model: str, what: str) -> None:
    """A local Hugging Face checkpoint: a folder with config.json (nothing is downloaded)."""
    folder = Path(model).expanduser()
    if not (folder / "config.json").is_file():
        found = "a folder without config.json" if folder.is_dir() else "not found"
        raise ValueError(f"{what}: {found}; give a training run folder, a local Hugging Face checkpoint "
                         "(config.json, weights, tokenizer) or 'default' for the embedded SmolLM2")


def unique_labels(pairs: list[tuple[str, str | None]]) -> list[str]:
    """The policy, with the run or model name where it has one; the whole path where two rows
    would read alike, and a number where even that repeats (the same policy twice)."""
    short = [p if m is None else f"{p}:{Path(m).name or m}" for p, m in pairs]
    labels = [f"{p}:{m}" if short.count(s) > 1 and m is not None else s for s, (p, m) in zip(short, pairs)]
    seen: Counter = Counter()
    unique = []
    for label in labels:
        seen[label] += 1
        unique.append(label if labels.count(label) == 1 else f"{label}#{seen[label]}")
    return unique


def check_panel(env_id: str, split: str | None, episodes: int) -> None:
    """The panel's last task must exist: reset an env on it (a split may hold fewer tasks)."""
    last = eval_panel(env_id, split, episodes)[-1]
    env = envs.make(env_id)
    try:
        env.reset(seed=last.seed, options=last.options)
    except (ValueError, IndexError) as err:
        raise ValueError(f"--episodes {episodes} is more than split {split!r} of {env_id} holds: {err}") from None
    finally:
        env.close()


def plan_eval(args) -> tuple[str, str | None, list[EvalRow]]:
    """(env id, split, rows) once every argument is known to be good; raises ValueError/KeyError else."""
    spec = envs.spec(args.env)
    if args.split is not None and not spec.splits:
        raise ValueError(f"{spec.id} has no task splits; drop --split (its panel is a fixed list of seeds)")
    split = args.split or next((s for s in spec.splits if s != "train"), None)
    if spec.splits and split not in spec.splits:
        raise ValueError(f"--split {split!r}: {spec.id} has splits {', '.join(spec.splits)}")
    check_numbers(args)
    pairs = pair_models(list(args.policy), list(args.model or []))
    if args.base_url is not None and "openai" not in args.policy:
        raise ValueError("--base-url is for --policy openai only")
    if args.api_key_env is not None and not os.environ.get(args.api_key_env):
        raise ValueError(f"--api-key-env {args.api_key_env}: that environment variable is not set")
    for policy, model in pairs:
        check_model(policy, model, args.base_url)
    check_panel(spec.id, split, args.episodes)
    return spec.id, split, [EvalRow(p, m, label) for (p, m), label in zip(pairs, unique_labels(pairs))]
