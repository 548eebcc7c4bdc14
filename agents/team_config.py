"""The ``team`` section of a training config: roles, the models they run on, who acts when.

A team maps each role (an agent id of a multi-agent env) to a model and a prompt. Roles that
name the same model share it (one set of weights, one optimiser); a model with
``adapters: per_role`` is one frozen base with one LoRA adapter per role that names it, each
adapter with its own optimiser. Every trained model or adapter is a *learner*: its own
optimiser settings (``optim``), its own checkpoint entry, its own logged losses and gradient
norms. Torch-free, so loading a config does not import torch.

Example (collaborative math, the solver and the verifier each with its own small model)::

    team:
      orchestration: {kind: loop, max_loops: 3}
      models:
        solver_net: {backend: arithmetic, optim: {lr: 0.05}}
        verifier_net: {backend: arithmetic, optim: {lr: 0.05}}
      roles:
        solver: {model: solver_net}
        verifier: {model: verifier_net}
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agents.llm.lora import LoraConfig
from agents.tiny.config import TinyConfig

# Who acts when is the env's turn-taking (envs/turns.py: infos[agent]["to_act"]); the team config
# names the order it expects and bounds its loops, and a mismatch is a config error.
ORCHESTRATIONS = {
    "loop": "one role proposes, another approves or sends it back, at most max_loops times (collab math)",
    "router": "a routing role picks the next role after each turn, at most max_loops loops (search QA)",
    "parallel": "every role acts at every step (the beer game)",
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LearnerOptim(_Section):
    lr: float = Field(1e-3, gt=0, description="AdamW learning rate of this model or adapter")
    clip: float = Field(0.2, gt=0, description="PPO clip range of this learner's ratio")
    max_grad_norm: float = Field(1.0, gt=0, description="gradient norm clip of this learner's step")
    micro_batch: int = Field(64, ge=1, description="step rows per backward pass (each pass holds one role's rows)")


class TeamModel(_Section):
    backend: Literal["tiny", "arithmetic", "hf"] = Field(
        "tiny", description="tiny policy, the arithmetic tiny policy (agents.tiny.arithmetic) or an HF causal LM"
    )
    tiny: TinyConfig = Field(TinyConfig(), description="tiny backend: its network")
    model: str | None = Field(None, description="hf: a local checkpoint; null = the embedded SmolLM2-135M-Instruct")
    lora: LoraConfig | None = Field(None, description="hf: LoRA adapters on a frozen base; null = full fine-tuning")
    adapters: Literal["shared", "per_role"] = Field(
        "shared", description="hf with lora: one adapter for every role on this model, or one adapter per role"
    )
    require_think: bool = Field(False, description="hf: replies must hold <think>..</think> before <action>")
    action_head: Literal["generate", "score_candidates"] = Field(
        "generate", description="hf: free replies (parsed) or a softmax over the admissible actions"
    )
    trainable: bool = Field(True, description="false: the model plays but is never updated")
    optim: LearnerOptim = Field(LearnerOptim(), description="this model's optimiser (per_role: each adapter's default)")

    @model_validator(mode="after")
    def _fits_backend(self) -> "TeamModel":
        if self.adapters == "per_role" and (self.backend != "hf" or self.lora is None):
            raise ValueError("adapters: per_role needs backend: hf and a lora section (one adapter per role on one base)")
        if self.backend != "hf" and (self.lora is not None or self.model is not None):
            raise ValueError(f"model and lora are hf settings; this model's backend is {self.backend}")
        return self


class TeamRole(_Section):
    model: str = Field(description="a key of team.models, or 'expert': the env's scripted expert plays this role")
    prompt: str | None = Field(None, description="the role's instructions, in place of the env's own (null = the env's)")
    optim: LearnerOptim | None = Field(None, description="per_role adapters only: this role's adapter's optimiser")


class Orchestration(_Section):
    kind: Literal["loop", "router", "parallel"] = Field(description="the turn order the env plays: " + "; ".join(
        f"{k}: {v}" for k, v in ORCHESTRATIONS.items()))
    max_loops: int | None = Field(None, ge=1, description="loop, router: the env's max_loops (null = the env's default)")


class TeamConfig(_Section):
    orchestration: Orchestration = Field(description="who acts when")
    models: dict[str, TeamModel] = Field(description="the models (or bases) the roles run on, by name")
    roles: dict[str, TeamRole] = Field(description="every agent id of the env -> its model and prompt")

    @model_validator(mode="after")
    def _roles_fit_models(self) -> "TeamConfig":
        if not self.roles:
            raise ValueError("a team needs at least one role")
        if "expert" in self.models:
            raise ValueError("'expert' names the scripted expert; give the model another name")
        for role, spec in self.roles.items():
            if spec.model != "expert" and spec.model not in self.models:
                raise ValueError(f"role {role!r} names model {spec.model!r}; models are {sorted(self.models)} or 'expert'")
            if spec.optim is not None and (spec.model == "expert" or self.models[spec.model].adapters != "per_role"):
                raise ValueError(f"role {role!r}: optim applies to a per_role adapter; a shared model's "
                                 "optimiser is the model's optim")
        unused = sorted(set(self.models) - {r.model for r in self.roles.values()})
        if unused:
            raise ValueError(f"models {unused} are played by no role")
        if self.orchestration.kind == "parallel" and self.orchestration.max_loops is not None:
            raise ValueError("orchestration.max_loops applies to loop and router orders, not parallel")
        return self

    def learners(self) -> dict[str, tuple[str, list[str], LearnerOptim]]:
        """Each trained model or adapter: name -> (model name, its roles, its optimiser settings).
        A per_role model's adapters are named ``model/role``."""
        out = {}
        for name, model in self.models.items():
            roles = [r for r, spec in self.roles.items() if spec.model == name]
            if not model.trainable:
                continue
            if model.adapters == "per_role":
                for role in roles:
                    out[f"{name}/{role}"] = (name, [role], self.roles[role].optim or model.optim)
            else:
                out[name] = (name, roles, model.optim)
        return out
