"""Training configuration: one validated object, every hyperparameter named and documented once.

Load with :func:`load_config` from a YAML file (or the packaged default) plus ``key=value``
overrides in dotted form (``rollout.group_size=4``). An unknown or misspelled key is an
error that names the key and the closest valid one. ``agora config`` prints every key with its
type, default and doc (:mod:`training.config_help`).

Defaults: the code's defaults are a generic starting point; a config file states only what
differs from them (the packaged main job, ``configs/household_tiny.yaml``, does: tested).

A setting that does not apply to the chosen estimator, backend or switch (``algorithm.gamma``
with ``estimator=grpo``, ``policy.lora`` with the tiny policy, ...; see
:func:`inapplicable_settings`) is an error naming it, except when the file sets it and the
command line chose the setup it does not apply to: a file shared between setups then gets a
warning, printed once.
"""

from __future__ import annotations

import difflib
import math
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agents.llm.lora import LoraConfig
from agents.backends.base import SamplingConfig
from agents.prompting import DEFAULT_MEMORY_K
from agents.team_config import TeamConfig
from agents.tiny.config import TinyConfig
from training.rollout import RolloutConfig

CONFIG_DIR = Path(__file__).parent / "configs"
DEFAULT_CONFIG = CONFIG_DIR / "household_tiny.yaml"


class ConfigError(ValueError):
    """A config file or override is wrong; the message says where and how to fix it."""


class ConfigWarning(UserWarning):
    """A setting from a config file does not apply to the setup the command line chose."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class PolicyConfig(Section):
    backend: Literal["tiny", "hf", "vllm"] = Field(
        "tiny", description="what is trained: the tiny policy (CPU), or an HF causal LM sampled by hf or vllm"
    )
    model: str | None = Field(
        None, description="LLM backends: a local checkpoint directory; null = the embedded SmolLM2-135M-Instruct"
    )
    lora: LoraConfig | None = Field(None, description="LLM backends: LoRA adapters; null = full fine-tuning")
    tiny: TinyConfig = Field(TinyConfig(), description="the tiny policy's network and inputs")
    require_think: bool = Field(
        True, description="LLM backends: replies must hold <think>..</think> before <action>..</action>"
    )
    action_head: Literal["generate", "score_candidates"] = Field(
        "generate",
        description="LLM backends: generate free replies (parsed), or score_candidates: a softmax over the admissible "
        "actions' length-normalised log-likelihoods (envs that list them; agents.llm.candidate_head)",
    )


class RolloutSection(Section):
    tasks_per_batch: int = Field(16, ge=1, description="distinct tasks per update")
    group_size: int = Field(8, ge=1, description="copies of each task per update (they share the initial state)")
    memory_k: int = Field(DEFAULT_MEMORY_K, ge=0, description="past (observation, action) pairs each decision sees")
    max_turns: int = Field(50, ge=1, description="turn cap per episode, on top of the env's own step limit")
    temperature: float = Field(1.0, ge=0, description="sampling temperature of training rollouts (0 = greedy)")
    top_p: float = Field(1.0, gt=0, le=1, description="nucleus sampling mass of training rollouts")
    max_tokens: int = Field(256, ge=1, description="LLM backends: tokens per reply")
    split: str = Field("train", description="task split training draws from (envs with splits)")


class EPOConfig(Section):
    enabled: bool = Field(False, description="add EPO's entropy terms (Xu et al., 2025) to the loss")
    entropy_coef: float = Field(0.001, description="EPO: lambda, weight of the trajectory entropy term")
    decay: float = Field(3.0, description="EPO: gamma, how fast the smoothing weight beta decays over updates")
    kappa_low: float = Field(0.0, ge=0, description="EPO: lower entropy bound, as a multiple of the running reference")
    kappa_high: float = Field(2.0, ge=0, description="EPO: upper entropy bound, as a multiple of the running reference")
    smooth_weight: float = Field(0.1, description="EPO: alpha, weight of the entropy smoothing penalty")


class AlgorithmConfig(Section):
    estimator: str = Field("gigpo", description="a registered advantage estimator: grpo, gigpo, hgpo, drmas or a plugin's")
    loss: str = Field("ppo_clip", description="a registered policy loss: ppo_clip or a plugin's")
    gamma: float = Field(0.95, ge=0, le=1, description="gigpo, hgpo: discount of step returns")
    invalid_penalty: float = Field(0.1, ge=0, description="gigpo, hgpo, drmas: reward subtracted for an invalid action")
    norm_mode: Literal["mean_std_norm", "mean_norm"] = Field(
        "mean_std_norm", description="group normalisation: subtract the mean and divide by the std, or only subtract"
    )
    group_stats: Literal["trajectory", "step"] = Field(
        "trajectory", description="grpo, gigpo: episode-level group statistics over trajectories or over step rows"
    )
    omega: float = Field(1.0, description="gigpo: weight of the step-level advantage")
    hgpo_alpha: float = Field(1.0, description="hgpo: a level sharing the last k steps weighs (k + 1) ** hgpo_alpha")
    hgpo_base_group: bool = Field(False, description="hgpo: also add the episode-level advantage as a level with k = 0")
    clip: float = Field(0.2, gt=0, description="PPO clip range (the lower one when clip_high is set)")
    clip_high: float | None = Field(None, description="PPO upper clip range (DAPO's clip-higher); null = clip")
    dual_clip: float | None = Field(None, gt=1, description="dual-clip bound for negative advantages; null = off")
    loss_agg: Literal["token-mean", "seq-mean-token-mean", "seq-mean-token-sum"] = Field(
        "token-mean", description="how token losses are averaged into one number"
    )
    kl_coef: float = Field(0.0, ge=0, description="weight of the KL penalty to the frozen initial policy (0 = none)")
    kl_type: Literal["k1", "k3", "low_var_kl"] = Field("low_var_kl", description="KL estimator (when kl_coef > 0)")
    entropy_coef: float = Field(0.0, ge=0, description="weight of the token entropy bonus")
    epo: EPOConfig = Field(EPOConfig(), description="EPO entropy regularisation")
    ppo_epochs: int = Field(1, ge=1, description="passes over each batch")
    minibatch_size: int = Field(256, ge=1, description="step rows per optimizer step")
    grad_accum: int = Field(1, ge=1, description="backward passes per optimizer step (splits each minibatch)")
    skip_zero_advantage: bool = Field(
        False,
        description="skip rows whose advantage is exactly 0 (no policy gradient; their entropy, KL and EPO terms go too)",
    )
    imitation_coef: float = Field(
        0.0, ge=0,
        description="weight of the negative log-likelihood of the env's scripted expert's action at every state the "
        "rollouts visit (DAgger-style labels; the tiny policy or an LLM's candidate-scoring head; 0 = off; a file's value "
        "stays with the file's env and backend)",
    )
    recompute_old_logprobs: bool = Field(
        True,
        description="PPO's old log-probs re-scored before the update (true) or the sampler's own (false: exact samplers)",
    )

    @field_validator("estimator")
    @classmethod
    def _registered_estimator(cls, name: str) -> str:
        from training.advantages import ESTIMATORS

        return ESTIMATORS.get(name).name

    @field_validator("loss")
    @classmethod
    def _registered_loss(cls, name: str) -> str:
        from training.losses import LOSSES

        return LOSSES.get(name).name


class GuidanceConfig(Section):
    enabled: bool = Field(False, description="G²RPO-A guided rollouts: some group members follow the env's scripted expert first")
    members: int = Field(2, ge=1, description="guidance: copies of each group that follow the expert (the paper's code: 2 of G)")
    k_init: float = Field(3.0, ge=1, description="guidance: expert steps each guided member takes first (k, at the first update)")
    k_max: float = Field(20.0, ge=1, description="guidance: upper bound of the adaptive k")
    adaptive: bool = Field(True, description="guidance: adapt k every 3 updates by the paper's rule (false: k stays k_init)")
    expert_steps_in_loss: bool = Field(
        True,
        description="guidance: expert steps enter the PPO loss with their group advantage (as in the reference code); "
        "false masks them (they still shape the group's advantages)",
    )


class OptimConfig(Section):
    lr: float = Field(1e-3, gt=0, description="AdamW learning rate")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay")
    betas: tuple[float, float] = Field((0.9, 0.999), description="AdamW betas")
    max_grad_norm: float = Field(1.0, gt=0, description="gradient norm clip")
    schedule: Literal["constant", "linear", "cosine"] = Field("constant", description="learning-rate schedule after warm-up")
    warmup_updates: int = Field(0, ge=0, description="updates of linear learning-rate warm-up")


class WarmStartConfig(Section):
    """Behaviour cloning before RL (training.warm_start), for the tiny policy."""

    expert_episodes: int = Field(
        0, ge=0, description="training episodes the scripted expert plays; the policy is fitted to its choices (0 = off)"
    )
    epochs: int = Field(
        4, ge=1, description="passes over the expert's decisions (minibatches of algorithm.minibatch_size, lr optim.lr)"
    )


class LogConfig(Section):
    tensorboard: bool = Field(True, description="write TensorBoard event files in the run folder")
    wandb: bool = Field(False, description="log to Weights & Biases")
    wandb_project: str = Field("agora", description="the Weights & Biases project (when wandb is on)")
    progress_bar: bool = Field(True, description="show a progress bar on the terminal")


class TrainSection(Section):
    updates: int = Field(60, ge=1, description="updates to run")
    seed: int = Field(0, description="seed of every random stream (tasks, sampling, minibatches, initial weights)")
    eval_every: int = Field(10, ge=0, description="evaluate every this many updates (0 = only at the end)")
    eval_episodes: int = Field(100, ge=1, description="tasks in the evaluation panel")
    eval_split: str = Field("eval_in_distribution", description="split of the evaluation panel (envs with splits)")
    eval_temperature: float = Field(0.0, ge=0, description="sampling temperature of evaluation (0 = greedy)")
    eval_env_kwargs: dict[str, Any] = Field(
        {}, description="evaluation plays env_kwargs with these overrides (e.g. no reward shaping)"
    )
    checkpoint_every: int = Field(10, ge=0, description="save a checkpoint every this many updates (0 = only at the end)")
    output_dir: str = Field("runs/default", description="the run folder: config, metrics, checkpoints")
    device: str = Field("auto", description="LLM backends: auto | cpu | cuda | cuda:N")
    bf16: bool | None = Field(None, description="LLM backends: bfloat16; null = on when training on a GPU that supports it")
    gradient_checkpointing: bool | None = Field(
        None, description="LLM backends: recompute activations in backward instead of keeping them (null = on; "
        "false: about 7% faster updates for about 2.7x the peak memory, SmolLM2 in docs/benchmarks.md)"
    )
    max_minutes: float | None = Field(None, gt=0, description="stop after this wall-clock budget (null = no budget)")
    init_from: str | None = Field(
        None, description="a run folder (`agora sft`, `agora train`) whose saved weights the policy starts from (null = none)"
    )


class HilaSection(Section):
    """HILA's dual loop (``trainer: hila``, :mod:`training.hila_trainer`) on agora/HILA-v0."""

    normalise_std: bool = Field(
        False, description="hila: also divide each state's advantages by their std (biased against costly decisions: "
        "training/hila.py); false = mean-centred, whose greedy decision is the expected-value optimum"
    )
    solver: Literal["simulated", "policy"] = Field(
        "simulated", description="hila: who writes the agents' own answers (round 0 and CREATE): the env's simulated "
        "solver (env_kwargs), or the trained LLM itself, the same adapter (LLM backends)"
    )
    outer_rounds: int = Field(
        1, ge=1, description="hila: rounds of the dual loop; train.updates are split evenly among them, and between two "
        "the solver learns from the expert's answers to the deferrals of a deployment"
    )
    deploy_episodes: int = Field(
        50, ge=1, description="hila: fresh training games the greedy meta-policy plays after a round; each deferral "
        "there, answered, is a supervised example (problem -> expert answer)"
    )
    learn_rate: float = Field(
        0.01, gt=0, le=1, description="hila, solver=simulated: each correct example of a type moves its accuracy this "
        "share of the way to the ceiling (training.hila.learn_from_experts)"
    )
    ceiling: float = Field(0.95, gt=0, le=1, description="hila, solver=simulated: the accuracy the examples can teach at most")
    answer_tokens: int = Field(32, ge=1, description="hila, solver=policy: tokens per answer the LLM writes")
    sft_epochs: int = Field(4, ge=1, description="hila, solver=policy: passes over the examples when fine-tuning the solver")
    sft_lr: float = Field(0.0003, gt=0, description="hila, solver=policy: AdamW learning rate of that fine-tuning")


class RayConfig(Section):
    """Env pools on Ray actors (training.ray_pool; training rollouts only, evaluation envs play in
    process) and, as options, the generation engine on its own actor (agents.backends.ray_engine)."""

    enabled: bool = Field(False, description="play training rollouts on Ray env actors (single-agent envs; needs agora[ray])")
    address: str | None = Field(
        None, description="ray: a running cluster to join ('auto': the one `ray start` runs here; setting it turns ray on); "
        "null = start a local Ray for the run"
    )
    num_cpus: int | None = Field(
        None, ge=1, description="ray: CPUs of the local Ray the run starts; null = env_actors x cpus_per_env_actor "
        "(+ engine_cpus, learner_cpus)"
    )
    env_actors: int = Field(2, ge=1, description="ray: env actors; each holds whole groups and steps all its envs in one call a turn")
    cpus_per_env_actor: float = Field(1.0, gt=0, description="ray: CPUs each env actor reserves (placement)")
    restart_failed_env_actors: bool = Field(
        True, description="ray: restart an env actor that dies or hangs (false: the run stops with an error)"
    )
    max_restarts: int = Field(100, ge=0, description="ray: env actor restarts a run allows before it stops with an error")
    episode_reruns: int = Field(
        1, ge=0, description="ray: times an episode whose env died is replayed on a fresh env (seed and actions so far) "
        "before its whole group is dropped; 0 = drop at once"
    )
    step_timeout_s: float | None = Field(
        60.0, gt=0, description="ray: seconds an env actor may take for one batched step (a reset: per env) before it counts "
        "as hung (null = no limit)"
    )
    rollout_timeout_s: float | None = Field(
        None, gt=0, description="ray: seconds a training rollout may take; past it the groups still playing are dropped (null = no limit)"
    )

    engine_actor: bool = Field(
        False, description="ray: sample on an engine actor (the policy.backend's hf or vllm engine in its own process, "
        "any node); new weights reach it as tensors through Ray after every update (LoRA: hf gets the adapters only)"
    )
    engine_cpus: float = Field(1.0, gt=0, description="ray: CPUs the engine actor reserves (placement)")
    engine_gpus: float = Field(0.0, ge=0, description="ray: GPUs the engine actor reserves (placement; vllm on a GPU: 1)")
    learner_actor: bool = Field(
        False, description="ray: run the policy update (scores, loss, backward, optimizer) on a learner actor; the driver "
        "sends each batch, gets the new weights back and writes the checkpoints"
    )
    learner_cpus: float = Field(1.0, gt=0, description="ray: CPUs the learner actor reserves (placement)")
    learner_gpus: float = Field(0.0, ge=0, description="ray: GPUs the learner actor reserves (placement; train.device "
                                "auto then trains on one)")

    @property
    def active(self) -> bool:
        return self.enabled or self.address is not None

    def local_cpus(self) -> int:
        """CPUs a local Ray needs for the actors (``num_cpus`` when given)."""
        if self.num_cpus is not None:
            return self.num_cpus
        need = (self.env_actors * self.cpus_per_env_actor + (self.engine_cpus if self.engine_actor else 0)
                + (self.learner_cpus if self.learner_actor else 0))
        return max(1, math.ceil(need))


class TrainConfig(Section):
    trainer: Literal["ppo", "hila"] = Field(
        "ppo", description="ppo: grouped rollouts and a registered estimator and loss (training.trainer); hila: HILA's "
        "dual loop, every candidate decision of a state executed and graded (training.hila_trainer, env agora/HILA-v0)"
    )
    env: str = Field("agora/Household-v0", description="the registered env id to train on")
    env_kwargs: dict[str, Any] = Field({}, description="keyword arguments of envs.make (the env's own settings)")
    policy: PolicyConfig = Field(PolicyConfig(), description="what is trained")
    rollout: RolloutSection = Field(RolloutSection(), description="how training episodes are played")
    algorithm: AlgorithmConfig = Field(AlgorithmConfig(), description="advantages and loss")
    guidance: GuidanceConfig = Field(GuidanceConfig(), description="G²RPO-A guided rollouts (training.guidance)")
    optim: OptimConfig = Field(OptimConfig(), description="the optimizer")
    train: TrainSection = Field(TrainSection(), description="the run: length, evaluation, checkpoints, device")
    warm_start: WarmStartConfig = Field(WarmStartConfig(), description="behaviour cloning of the scripted expert before RL")
    log: LogConfig = Field(LogConfig(), description="where metrics go")
    hila: HilaSection = Field(HilaSection(), description="HILA's dual loop (trainer: hila)")
    ray: RayConfig = Field(RayConfig(), description="scale-out: training env pools on Ray actors, with fault tolerance")

    @model_validator(mode="after")
    def _hila_fits(self) -> "TrainConfig":
        if self.trainer != "hila":
            return self
        if self.env.removeprefix("agora/") != "HILA-v0":
            raise ValueError(f"trainer 'hila' trains the meta-policy of agora/HILA-v0, not env {self.env!r}")
        llm = self.policy.backend != "tiny"
        if llm and self.policy.action_head != "score_candidates":
            raise ValueError("trainer 'hila' needs policy.action_head=score_candidates with an LLM: every candidate "
                             "decision of a state is scored")
        if self.hila.outer_rounds > self.train.updates:
            raise ValueError(f"hila.outer_rounds={self.hila.outer_rounds} exceeds train.updates={self.train.updates}: "
                             "every round needs an update")
        if self.hila.solver == "policy" and not llm:
            raise ValueError("hila.solver=policy needs an LLM backend (the tiny policy cannot write answers)")
        return self
    team: TeamConfig | None = Field(
        None, description="train a team on a multi-agent env: roles, their models, who acts when (agents.team_config); "
        "null = one policy"
    )

    @model_validator(mode="after")
    def _guidance_fits(self) -> "TrainConfig":
        g = self.guidance
        if not g.enabled:
            return self
        if g.members > self.rollout.group_size:
            raise ValueError(f"guidance.members={g.members} exceeds rollout.group_size={self.rollout.group_size}")
        if g.adaptive and g.k_init > g.k_max:
            raise ValueError(f"guidance.k_init={g.k_init} exceeds guidance.k_max={g.k_max}")
        if self.rollout.top_p != 1:
            # An expert action outside the nucleus would have log-prob -inf: no PPO ratio.
            raise ValueError("guidance needs rollout.top_p=1 (an expert action cut by top-p has no log-prob)")
        return self


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The Section class inside a field annotation (``X``, ``X | None``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


# Keys renamed when the tiny policy got one config class (agents.tiny.config.TinyConfig).
RENAMED = {
    "policy.tiny.embed_dim": "policy.tiny.dim",
    "policy.tiny.hidden_dim": "policy.tiny.hidden",
    "policy.tiny.vocab_buckets": "policy.tiny.vocab_size",
}


def check_keys(data: Any, model: type[BaseModel] = TrainConfig, prefix: str = "") -> None:
    """Reject unknown keys with the closest valid name, before pydantic sees them."""
    if not isinstance(data, dict):
        return
    fields = model.model_fields
    for key, value in data.items():
        path = f"{prefix}{key}"
        if path in RENAMED:
            raise ConfigError(f"config key '{path}' was renamed to '{RENAMED[path]}'")
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.5)
            hint = f"; did you mean '{prefix}{close[0]}'?" if close else f"; valid keys here: {', '.join(fields)}"
            raise ConfigError(f"unknown config key '{path}'{hint}")
        sub = _model_of(fields[key].annotation)
        keyed_by_name = getattr(fields[key].annotation, "__origin__", None) is dict  # team.models: names, not keys
        if sub is not None and key != "env_kwargs" and not keyed_by_name:
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


def _command_line_values(overrides: list[str] | tuple[str, ...], keys: tuple[str, ...]) -> dict[str, Any]:
    """The value each of ``keys`` (dotted) gets from ``overrides``, parsed as YAML; the last one wins."""
    scratch: dict = {}
    for assignment in overrides:
        if assignment.split("=", 1)[0].strip() in keys:
            apply_override(scratch, assignment)
    found = {}
    for key in keys:
        node = scratch
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                break
            node = node[part]
        else:
            found[key] = node
    return found


def config_from_dict(data: dict, overrides: list[str] | tuple[str, ...] = ()) -> TrainConfig:
    """``data`` as a config file gives it, then the command line's ``overrides``."""
    data = yaml.safe_load(yaml.safe_dump(data)) or {}  # a deep copy that also normalises types
    given = _command_line_values(overrides, ("env", "policy.backend"))
    another_env = "env" in given and given["env"] != data.get("env", TrainConfig.model_fields["env"].default)
    if another_env:
        # The file's env kwargs belong to the file's env (household's shaped_reward means nothing
        # to an inventory env): another env on the command line starts from its own defaults.
        data["env_kwargs"] = {}
        if isinstance(data.get("train"), dict):
            data["train"].pop("eval_env_kwargs", None)
    policy = data.get("policy")
    file_backend = policy.get("backend", "tiny") if isinstance(policy, dict) else "tiny"
    if another_env or given.get("policy.backend", file_backend) != file_backend:
        # So does the file's imitation of its env's expert, a recipe for the file's policy.
        if isinstance(data.get("algorithm"), dict):
            data["algorithm"].pop("imitation_coef", None)
    for assignment in overrides:
        apply_override(data, assignment)
    check_keys(data)
    try:
        config = TrainConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_validation_error(err)) from None
    check_applicable(config, overrides)
    return config


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
        if overrides and _valid_without_overrides(data):  # the file is fine: the command line is not
            raise ConfigError(f"command-line override (on top of {file}): {err}") from None
        raise ConfigError(f"{file}: {err}") from None


def _valid_without_overrides(data: dict) -> bool:
    try:
        config_from_dict(data)
    except ConfigError:
        return False
    return True


def dump_config(config: TrainConfig) -> str:
    """The config as YAML, every setting spelled out except those that do not apply to it
    (so that reading it back never trips :func:`check_applicable`)."""
    data = config.model_dump(mode="json")
    for item in inapplicable_settings(config, only_set=False):
        *parents, last = item.key.split(".")
        node = data
        for part in parents:
            node = node.get(part, {})  # a section already dropped as a whole (a team's policy)
        node.pop(last, None)
    data = {k: v for k, v in data.items() if v != {} or k == "env_kwargs"}  # a section with nothing that applies
    return yaml.safe_dump(data, sort_keys=False)


# --- settings that do not apply -----------------------------------------------------------

TINY_ONLY = ("policy.tiny", "warm_start")
LLM_ONLY = (
    "policy.model", "policy.lora", "policy.require_think", "policy.action_head", "rollout.max_tokens",
    "train.device", "train.bf16", "train.gradient_checkpointing",
)


# What HILA's trainer does not read: it enumerates each state's decisions instead of sampling copies,
# and its loss is the exact policy gradient over them.
PPO_ONLY = (
    "rollout.group_size", "guidance", "warm_start", *(f"algorithm.{k}" for k in AlgorithmConfig.model_fields
                                                     if k not in ("ppo_epochs", "minibatch_size", "grad_accum")),
)


# What a team's own sections replace, and what it trains without (training.team_trainer).
TEAM_REPLACES = (
    "policy", "optim", "warm_start", "guidance", "algorithm.clip", "algorithm.grad_accum", "algorithm.kl_coef",
    "algorithm.epo",
)


@dataclass(frozen=True)
class Inapplicable:
    key: str  # the setting that would be ignored, e.g. "algorithm.gamma"
    because: str  # the setting whose value makes it so, e.g. "algorithm.estimator"

    def message(self, config: TrainConfig) -> str:
        if self.because == "team":
            return f"'{self.key}' does not apply to a team (its models and their optim sections replace it)"
        value = _get(config, self.because)
        return f"'{self.key}' does not apply with {self.because}={value!r}"


def inapplicable_settings(config: TrainConfig, *, only_set: bool = True) -> list[Inapplicable]:
    """The settings ``config`` would ignore: with ``only_set``, only those given explicitly (by a
    file or an override; defaults never count) and not null."""
    a = config.algorithm
    rules = []
    # Each registered estimator and loss declares the settings it reads (training.registry).
    from training.advantages import ESTIMATORS
    from training.losses import LOSSES

    rules += [(k, "algorithm.estimator") for k in ESTIMATORS.unused_settings(a.estimator)]
    rules += [(k, "algorithm.loss") for k in LOSSES.unused_settings(a.loss)]
    if config.team is not None:
        rules += [(k, "team") for k in TEAM_REPLACES]
        if not any(m.backend == "hf" for m in config.team.models.values()):
            rules += [(k, "team") for k in LLM_ONLY if not k.startswith("policy.")]
    else:
        rules += [(k, "policy.backend") for k in (TINY_ONLY if config.policy.backend != "tiny" else LLM_ONLY)]
        if config.policy.backend != "tiny" and config.policy.action_head == "score_candidates":
            rules.append(("rollout.max_tokens", "policy.action_head"))  # the head writes no free reply
        elif config.policy.backend != "tiny":  # the expert's choice is a candidate: no reply to imitate
            rules.append(("algorithm.imitation_coef", "policy.action_head"))
    if a.kl_coef == 0:
        rules.append(("algorithm.kl_type", "algorithm.kl_coef"))
    if not a.epo.enabled:
        rules += [(f"algorithm.epo.{k}", "algorithm.epo.enabled") for k in EPOConfig.model_fields if k != "enabled"]
    if not config.guidance.enabled:
        rules += [(f"guidance.{k}", "guidance.enabled") for k in GuidanceConfig.model_fields if k != "enabled"]
    elif not config.guidance.adaptive:
        rules.append(("guidance.k_max", "guidance.adaptive"))
    if not config.log.wandb:
        rules.append(("log.wandb_project", "log.wandb"))
    if config.trainer != "hila":
        rules += [(f"hila.{k}", "trainer") for k in HilaSection.model_fields]
    else:
        rules += [(k, "trainer") for k in PPO_ONLY]
        simulated_only, policy_only = ("learn_rate", "ceiling"), ("answer_tokens", "sft_epochs", "sft_lr")
        rules += [(f"hila.{k}", "hila.solver") for k in (policy_only if config.hila.solver == "simulated" else simulated_only)]
    if not config.ray.active:
        rules += [(f"ray.{k}", "ray.enabled") for k in RayConfig.model_fields if k not in ("enabled", "address")]
    elif config.ray.address is not None:
        rules.append(("ray.num_cpus", "ray.address"))  # a joined cluster has its own CPUs
    if not config.ray.restart_failed_env_actors:
        rules.append(("ray.max_restarts", "ray.restart_failed_env_actors"))
    if not config.ray.engine_actor:
        rules += [("ray.engine_cpus", "ray.engine_actor"), ("ray.engine_gpus", "ray.engine_actor")]
    if not config.ray.learner_actor:
        rules += [("ray.learner_cpus", "ray.learner_actor"), ("ray.learner_gpus", "ray.learner_actor")]
    if config.team is not None or config.trainer == "hila":  # their own update loops
        rules.append(("ray.learner_actor", "team" if config.team is not None else "trainer"))
    if config.team is not None:  # nothing below is sampled by one engine
        rules.append(("ray.engine_actor", "team"))
    elif config.policy.backend == "tiny":
        rules.append(("ray.engine_actor", "policy.backend"))
    elif config.policy.action_head == "score_candidates":
        rules.append(("ray.engine_actor", "policy.action_head"))
    return [Inapplicable(key, because) for key, because in rules if not only_set or _is_set(config, key)]


def check_applicable(config: TrainConfig, overrides: list[str] | tuple[str, ...] = ()) -> None:
    """Raise :class:`ConfigError` naming every explicitly given setting that does not apply;
    one the file gives, inapplicable because of a choice on the command line, only warns (once):
    the file was written for another setup."""
    errors = []
    for item in inapplicable_settings(config):
        message = item.message(config)
        given_here = _on_command_line(item.key, overrides)
        if _on_command_line(item.because, overrides) and not given_here:
            if message not in _warned:
                _warned.add(message)
                print(f"agora: warning: {message}: the config file's value is ignored", file=sys.stderr)
        else:
            errors.append(f"{message} (given {'on the command line' if given_here else 'in the file'})")
    if errors:
        raise ConfigError("settings that do not apply (remove them):\n" + "\n".join(f"  {e}" for e in errors))


_warned: set[str] = set()


def _get(config: BaseModel, key: str) -> Any:
    node = config
    for part in key.split("."):
        node = getattr(node, part)
    return node


def _is_set(config: BaseModel, key: str) -> bool:
    node = config
    for part in key.split("."):
        if part not in node.model_fields_set:
            return False
        node = getattr(node, part)
    return node is not None


def _on_command_line(key: str, overrides) -> bool:
    """Whether an override assigns ``key``, a section holding it, or a key inside it."""
    for assignment in overrides:
        assigned = assignment.split("=", 1)[0].strip()
        if assigned == key or key.startswith(assigned + ".") or assigned.startswith(key + "."):
            return True
    return False


# --- the rollout settings, derived once --------------------------------------------------


def training_rollout(config: TrainConfig, seed: int | None = None) -> RolloutConfig:
    """How training plays: ``group_size`` copies per task, sampling as the rollout section says."""
    r = config.rollout
    sampling = SamplingConfig(temperature=r.temperature, top_p=r.top_p, max_tokens=r.max_tokens, seed=seed)
    return RolloutConfig(group_size=r.group_size, memory_k=r.memory_k, max_turns=r.max_turns, sampling=sampling,
                         label_expert=config.algorithm.imitation_coef > 0)


def eval_rollout(
    config: TrainConfig | None = None,
    *,
    max_turns: int | None = None,
    memory_k: int | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
) -> RolloutConfig:
    """How evaluation plays a run's policy: one copy per task with the run's turn cap, memory
    window and reply length, at ``train.eval_temperature`` (top-p 1), as during training.
    Without a run, the :class:`RolloutConfig` defaults, greedy. Arguments not None win."""
    base = RolloutConfig(sampling=SamplingConfig(temperature=0.0))
    if config is not None:
        base = replace(training_rollout(config), group_size=1, label_expert=False, sampling=SamplingConfig(
            temperature=config.train.eval_temperature, max_tokens=config.rollout.max_tokens
        ))
    return replace(
        base,
        max_turns=base.max_turns if max_turns is None else max_turns,
        memory_k=base.memory_k if memory_k is None else memory_k,
        sampling=replace(
            base.sampling,
            temperature=base.sampling.temperature if temperature is None else temperature,
            max_tokens=base.sampling.max_tokens if max_tokens is None else max_tokens,
        ),
    )


def eval_env_kwargs(config: TrainConfig) -> dict[str, Any]:
    """The env settings evaluation plays: the training env's, with ``train.eval_env_kwargs`` on top."""
    return {**config.env_kwargs, **config.train.eval_env_kwargs}


def runs_env_kwargs(env_id: str, runs: list[TrainConfig]) -> dict[str, Any]:
    """The env settings one evaluation of several policies plays: those of the training runs
    trained on ``env_id`` (they must agree, or the comparison is not like for like); none: {}."""
    settings = {}
    for run in runs:
        if _full_env_id(run.env) == _full_env_id(env_id):
            settings[yaml.safe_dump(eval_env_kwargs(run), sort_keys=True)] = eval_env_kwargs(run)
    if len(settings) > 1:
        raise ConfigError(
            f"the training runs evaluated on {env_id} used different env settings ({list(settings.values())}); "
            "evaluate them separately"
        )
    return next(iter(settings.values()), {})


def _full_env_id(env_id: str) -> str:
    return env_id if "/" in env_id else f"agora/{env_id}"
