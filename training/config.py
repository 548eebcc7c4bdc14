"""Training configuration: one validated object, every hyperparameter named once.

Load with :func:`load_config` from a YAML file (or the packaged default) plus ``key=value``
overrides in dotted form (``rollout.group_size=4``). An unknown or misspelled key is an
error that names the key and the closest valid one.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

CONFIG_DIR = Path(__file__).parent / "configs"
DEFAULT_CONFIG = CONFIG_DIR / "household_tiny.yaml"


class ConfigError(ValueError):
    """A config file or override is wrong; the message says where and how to fix it."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class LoraConfig(Section):
    r: int = Field(8, ge=1)
    alpha: int = Field(16, ge=1)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] = ["q_proj", "k_proj", "v_proj", "o_proj"]


class TinyConfig(Section):
    embed_dim: int = Field(64, ge=4)
    hidden_dim: int = Field(128, ge=4)
    vocab_buckets: int = Field(8192, ge=64)
    novelty_prior: float = Field(0.0, ge=0)  # > 0: the untrained policy avoids repeating actions


class PolicyConfig(Section):
    backend: Literal["tiny", "hf", "vllm"] = "tiny"
    model: str | None = None  # a path or hub-style name; None = the embedded SmolLM2 (LLM backends)
    lora: LoraConfig | None = None
    tiny: TinyConfig = TinyConfig()
    require_think: bool = True  # LLM output format: <think>..</think><action>..</action>


class RolloutSection(Section):
    tasks_per_batch: int = Field(16, ge=1)
    group_size: int = Field(8, ge=1)
    memory_k: int = Field(3, ge=0)
    max_turns: int = Field(50, ge=1)
    temperature: float = Field(1.0, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)
    max_tokens: int = Field(256, ge=1)
    split: str = "train"


class EPOConfig(Section):
    enabled: bool = False
    entropy_coef: float = 0.001  # lambda
    decay: float = 3.0  # gamma
    kappa_low: float = Field(0.0, ge=0)
    kappa_high: float = Field(2.0, ge=0)
    smooth_weight: float = 0.1  # alpha


class AlgorithmConfig(Section):
    estimator: Literal["grpo", "gigpo", "hgpo", "drmas"] = "gigpo"
    gamma: float = Field(0.95, ge=0, le=1)
    invalid_penalty: float = Field(0.1, ge=0)
    norm_mode: Literal["mean_std_norm", "mean_norm"] = "mean_std_norm"
    group_stats: Literal["trajectory", "step"] = "trajectory"
    omega: float = 1.0  # GiGPO step-advantage weight
    hgpo_alpha: float = 1.0
    hgpo_base_group: bool = False
    clip: float = Field(0.2, gt=0)
    clip_high: float | None = None
    dual_clip: float | None = Field(None, gt=1)
    loss_agg: Literal["token-mean", "seq-mean-token-mean", "seq-mean-token-sum"] = "token-mean"
    kl_coef: float = Field(0.0, ge=0)
    kl_type: Literal["k1", "k3", "low_var_kl"] = "low_var_kl"
    entropy_coef: float = Field(0.0, ge=0)
    epo: EPOConfig = EPOConfig()
    ppo_epochs: int = Field(1, ge=1)
    minibatch_size: int = Field(256, ge=1)
    grad_accum: int = Field(1, ge=1)
    # Rows whose advantage is exactly 0 add no policy gradient (GRPO groups that all won or all
    # lost, GiGPO singletons): skipping them saves their forward/backward passes, but their
    # entropy, KL and EPO terms go with them.
    skip_zero_advantage: bool = False
    # PPO's "old" log-probs: re-scored by the trainer before the update (true), or the sampler's
    # own (false; saves a forward pass where the sampler is exact, as the tiny policy is).
    recompute_old_logprobs: bool = True


class OptimConfig(Section):
    lr: float = Field(1e-3, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    betas: tuple[float, float] = (0.9, 0.999)
    max_grad_norm: float = Field(1.0, gt=0)
    schedule: Literal["constant", "linear", "cosine"] = "constant"
    warmup_updates: int = Field(0, ge=0)


class WarmStartConfig(Section):
    # Behaviour cloning before RL (training.warm_start): the scripted expert plays this many
    # training episodes and the tiny policy is fitted to its choices; 0 = off (pure RL).
    expert_episodes: int = Field(0, ge=0)
    epochs: int = Field(4, ge=1)  # passes over the recorded decisions (minibatches of algorithm.minibatch_size, lr optim.lr)


class LogConfig(Section):
    tensorboard: bool = True
    wandb: bool = False
    wandb_project: str = "agora"
    progress_bar: bool = True


class TrainSection(Section):
    updates: int = Field(60, ge=1)
    seed: int = 0
    eval_every: int = Field(10, ge=0)  # 0 = only at the end
    eval_episodes: int = Field(100, ge=1)
    eval_split: str = "eval_in_distribution"
    eval_temperature: float = Field(0.0, ge=0)  # 0 = greedy
    # Evaluation plays the training env (env_kwargs) with these overrides, e.g. no reward shaping.
    eval_env_kwargs: dict[str, Any] = {}
    checkpoint_every: int = Field(10, ge=0)
    output_dir: str = "runs/default"
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    bf16: bool | None = None  # None = on when training on a GPU that supports it
    gradient_checkpointing: bool | None = None  # None = on for LLMs on GPU
    max_minutes: float | None = Field(None, gt=0)  # stop collecting after this wall-clock budget


class TrainConfig(Section):
    env: str = "agora/Household-v0"
    env_kwargs: dict[str, Any] = {}
    policy: PolicyConfig = PolicyConfig()
    rollout: RolloutSection = RolloutSection()
    algorithm: AlgorithmConfig = AlgorithmConfig()
    optim: OptimConfig = OptimConfig()
    train: TrainSection = TrainSection()
    warm_start: WarmStartConfig = WarmStartConfig()
    log: LogConfig = LogConfig()

    @model_validator(mode="after")
    def _consistent(self) -> "TrainConfig":
        if self.policy.backend == "tiny" and self.policy.lora is not None:
            raise ValueError("policy.lora applies to LLM backends (hf, vllm), not to the tiny policy")
        if self.warm_start.expert_episodes and self.policy.backend != "tiny":
            raise ValueError("warm_start.expert_episodes applies to the tiny policy only")
        return self


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The Section class inside a field annotation (``X``, ``X | None``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def check_keys(data: Any, model: type[BaseModel] = TrainConfig, prefix: str = "") -> None:
    """Reject unknown keys with the closest valid name, before pydantic sees them."""
    if not isinstance(data, dict):
        return
    fields = model.model_fields
    for key, value in data.items():
        path = f"{prefix}{key}"
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.5)
            hint = f"; did you mean '{prefix}{close[0]}'?" if close else f"; valid keys here: {', '.join(fields)}"
            raise ConfigError(f"unknown config key '{path}'{hint}")
        sub = _model_of(fields[key].annotation)
        if sub is not None and key != "env_kwargs":
            check_keys(value, sub, prefix=f"{path}.")


def apply_override(data: dict, assignment: str) -> None:
    """Apply ``a.b.c=value`` (value parsed as YAML) to a nested dict in place."""
    if "=" not in assignment:
        raise ConfigError(f"override {assignment!r} must look like key=value (e.g. rollout.group_size=4)")
    key, raw = assignment.split("=", 1)
    parts = key.strip().split(".")
    if not all(parts):
        raise ConfigError(f"override key {key!r} is not a dotted key")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as err:
        raise ConfigError(f"override {assignment!r}: value is not valid YAML ({err})") from err
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif not isinstance(child, dict):
            raise ConfigError(f"override {assignment!r}: '{part}' is a value, not a section")
        node = child
    node[parts[-1]] = value


def _format_validation_error(err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "config"
        lines.append(f"  {where}: {e['msg']} (got {e.get('input')!r})")
    return "invalid config:\n" + "\n".join(lines)


def config_from_dict(data: dict, overrides: list[str] | tuple[str, ...] = ()) -> TrainConfig:
    data = yaml.safe_load(yaml.safe_dump(data)) or {}  # a deep copy that also normalises types
    env_overrides = [a for a in overrides if a.split("=", 1)[0].strip() == "env"]
    if env_overrides:
        scratch = {}
        for assignment in env_overrides:
            apply_override(scratch, assignment)
        if scratch.get("env") != data.get("env"):
            # The file's env kwargs belong to the file's env (household's shaped_reward means nothing
            # to an inventory env): another env on the command line starts from its own defaults.
            data["env_kwargs"] = {}
            if isinstance(data.get("train"), dict):
                data["train"].pop("eval_env_kwargs", None)
    for assignment in overrides:
        apply_override(data, assignment)
    check_keys(data)
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_validation_error(err)) from None


def load_config(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> TrainConfig:
    """Read a YAML config (the packaged default when ``path`` is None) and apply overrides."""
    file = Path(path) if path is not None else DEFAULT_CONFIG
    if not file.is_file():
        named = CONFIG_DIR / (file.name if file.suffix == ".yaml" else f"{file.name}.yaml")
        if path is not None and named.is_file():
            file = named  # a packaged config by name: `--config household_grpo`
        else:
            available = ", ".join(sorted(p.stem for p in CONFIG_DIR.glob("*.yaml")))
            raise ConfigError(f"config file {str(file)!r} not found; packaged configs: {available}")
    try:
        data = yaml.safe_load(file.read_text()) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{file}: not valid YAML: {err}") from err
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: the top level must be a mapping of sections, got {type(data).__name__}")
    try:
        return config_from_dict(data, overrides)
    except ConfigError as err:
        raise ConfigError(f"{file}: {err}") from None


def dump_config(config: TrainConfig) -> str:
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
