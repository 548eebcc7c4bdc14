"""Build agents for `agora train` (from a config) and `agora eval` (by name: expert, random, tiny,
hf, vllm, openai). The only place that reads the trainer config's layout to build an agent: agents
themselves take plain arguments or their own config section."""

from __future__ import annotations

from pathlib import Path

from agents.agent import Agent, TrainableAgent
from training.config import TrainConfig, load_config

POLICIES = ("expert", "random", "tiny", "hf", "vllm", "openai", "team")  # the names `agora eval --policy` takes


def build_trainable(config: TrainConfig, *, local_engine: bool | None = None) -> TrainableAgent:
    """The agent ``config.policy`` describes, with its initial weights drawn from ``train.seed``.
    ``local_engine``: start a vllm sampler in this process (None: unless ``ray.engine_actor`` puts it on Ray)."""
    p, r, t = config.policy, config.rollout, config.train
    if p.backend == "tiny":
        from agents.tiny.agent import TinyAgent

        return TinyAgent(p.tiny, seed=t.seed)
    from agents.llm.trainable import TrainableLLMAgent

    return TrainableLLMAgent(
        p.model,
        lora=p.lora,
        rollout_backend=p.backend,
        require_think=p.require_think,
        temperature=r.temperature,
        top_p=r.top_p,
        max_tokens=r.max_tokens,
        device=t.device,
        bf16=t.bf16,
        gradient_checkpointing=t.gradient_checkpointing,
        seed=t.seed,
        action_head=p.action_head,
        local_engine=not (config.ray.active and config.ray.engine_actor) if local_engine is None else local_engine,
    )


def load_tiny(path: str | Path) -> TrainableAgent:
    """A tiny policy from a training run folder or one of its checkpoints."""
    from agents.tiny.agent import TinyAgent
    from training import checkpoint

    model, _, _, _ = checkpoint.load(path)
    return TinyAgent.from_state_dict(model)


def is_run_folder(path: str | Path | None) -> bool:
    return path is not None and (Path(path) / "config.yaml").is_file()


def trained_run(model: str | Path | None) -> TrainConfig | None:
    """The config of the training run ``model`` is (a run folder or one of its checkpoints), else None."""
    if model is None:
        return None
    if Path(model).suffix == ".yaml" and Path(model).is_file():  # a team config file: its untrained team
        from training.team_trainer import team_env_kwargs

        config = load_config(model)
        return config.model_copy(update={"env_kwargs": team_env_kwargs(config)}) if config.team else None
    for folder in (Path(model), *Path(model).parents[:2]):
        if is_run_folder(folder):
            return load_config(folder / "config.yaml")
    return None


def load_trained(run_dir: str | Path) -> TrainableAgent:
    """The policy a training run saved: its config rebuilds the agent, its checkpoint the weights."""
    from training import checkpoint

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
    if name == "team":
        from training.team_trainer import load_team

        if model is None:
            raise ValueError("--policy team needs --model RUN_DIR (a team trained by `agora train`) or a team config file")
        return load_team(model)
    if name in ("hf", "vllm") and is_run_folder(model):
        return load_trained(model)
    if name in ("hf", "vllm", "openai"):
        from agents.llm import build_llm_agent

        return build_llm_agent(name, model=model, **options)
    raise ValueError(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}")
