"""Build agents by name for `agora train` and `agora eval`: expert, random, tiny, hf, vllm, openai."""

from __future__ import annotations

from pathlib import Path

from agents.agent import Agent, TrainableAgent
from training.config import TrainConfig

POLICIES = ("expert", "random", "tiny", "hf", "vllm", "openai")


def build_trainable(config: TrainConfig) -> TrainableAgent:
    p = config.policy
    if p.backend == "tiny":
        from agents.tiny.agent import TinyAgent, TinyConfig

        t = p.tiny
        return TinyAgent(
            TinyConfig(vocab_size=t.vocab_buckets, dim=t.embed_dim, hidden=t.hidden_dim, novelty_prior=t.novelty_prior),
            seed=config.train.seed,
        )
    from agents.llm import build_llm_trainable

    return build_llm_trainable(config)


def load_tiny(path: str | Path) -> TrainableAgent:
    """A tiny policy from a training run folder or one of its checkpoints."""
    from agents.tiny.agent import TinyAgent
    from training import checkpoint

    model, _, _, _ = checkpoint.load(path)
    return TinyAgent.from_state_dict(model)


def is_run_folder(path: str | Path | None) -> bool:
    return path is not None and (Path(path) / "config.yaml").is_file()


def load_trained(run_dir: str | Path) -> TrainableAgent:
    """The policy a training run saved: its config rebuilds the agent, its checkpoint the weights."""
    from training import checkpoint
    from training.config import load_config

    agent = build_trainable(load_config(Path(run_dir) / "config.yaml"))
    agent.load_state_dict(checkpoint.load(run_dir)[0])
    return agent


def build_agent(name: str, model: str | None = None, seed: int = 0, **options) -> Agent:
    """An agent for evaluation. ``model`` is a run folder (tiny) or a model path/name (LLMs)."""
    if name == "expert":
        from agents.scripted import ExpertAgent

        return ExpertAgent()
    if name == "random":
        from agents.scripted import RandomAgent

        return RandomAgent(seed=seed)
    if name == "tiny":
        if model is None:
            raise ValueError("--policy tiny needs --model RUN_DIR (a folder written by `agora train`)")
        return load_tiny(model)
    if name in ("hf", "vllm") and is_run_folder(model):
        return load_trained(model)
    if name in ("hf", "vllm", "openai"):
        from agents.llm import build_llm_agent

        return build_llm_agent(name, model=model, **options)
    raise ValueError(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}")
