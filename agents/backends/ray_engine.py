"""A sampling engine on its own Ray actor (``ray.engine_actor``), and the backend that stands for it.

:class:`EngineActor` holds an ``hf`` or ``vllm`` backend in its own process, which Ray places on
the CPUs and GPUs asked for (any node of the cluster). :class:`RemoteBackend` is a
:class:`Backend` whose ``generate`` sends the whole batch of prompts to that actor in one call,
so the rollout drives a remote engine exactly as it drives an in-process one.

New weights reach the actor as tensors through Ray's object store (``load_weights``), never as a
path on the learner's disk:

    hf    the trained tensors only; with LoRA the adapter tensors, loaded into the same
          LoRA-wrapped model the learner trains (the frozen base never travels);
    vllm  the full weights with LoRA folded in (vLLM serves plain checkpoints), which the actor
          writes to a temporary directory of its own machine and reloads in place.

The actor runs as many torch threads as the learner's process, so an ``hf`` engine computes the
same numbers as the in-process sampler (the same greedy tokens and log-probs). Unlike env actors,
an engine actor is not restarted: if it dies, the run stops with Ray's error (resume from the
last checkpoint).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from agents.backends.base import Backend, Generation, Prompt, SamplingConfig, check_prompts

STARTUP_TIMEOUT_S = 600.0  # to load a model (and start vLLM, or build a learner) in a fresh actor


@dataclass(frozen=True)
class EngineSpec:
    """What the actor builds: ``backend`` ``hf`` or ``vllm`` on checkpoint ``model_path`` (``"default"``:
    the embedded model, found on the actor's node; else a directory that exists there too), ``dtype``
    (a torch dtype name, ``hf``), the learner's ``lora`` fields (``hf``: the engine wraps its model
    the same way) and ``threads``."""

    backend: str
    model_path: str
    dtype: str = "float32"
    lora: dict | None = None
    seed: int = 0
    threads: int = 1
    vllm_options: dict = field(default_factory=dict)


class EngineActor:
    """A backend in a Ray actor: ``generate`` and ``load_weights`` as remote methods."""

    def __init__(self, spec: EngineSpec):
        import torch

        torch.set_num_threads(spec.threads)
        from agents.models import resolve_model_path

        self.spec = spec
        self.model_path = str(resolve_model_path(spec.model_path))
        self._weights_dir = None
        if spec.backend == "vllm":
            from agents.backends.vllm_backend import VLLMBackend

            self.backend = VLLMBackend(self.model_path, seed=spec.seed, **spec.vllm_options)
            self._weights_dir = tempfile.mkdtemp(prefix="agora-engine-weights-")
        elif spec.backend == "hf":
            self.backend = self._hf_backend(spec, self.model_path)
        else:
            raise ValueError(f"an engine actor runs the hf or vllm backend, not {spec.backend!r}")

    @staticmethod
    def _hf_backend(spec: EngineSpec, path: str):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from agents.backends.hf import HFBackend

        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, spec.dtype))
        if spec.lora:
            from peft import LoraConfig, get_peft_model

            lora = spec.lora
            model = get_peft_model(model, LoraConfig(r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"],
                                                     target_modules=list(lora["target_modules"]), task_type="CAUSAL_LM"))
        return HFBackend(model.to(device).eval(), AutoTokenizer.from_pretrained(path))

    def pid(self) -> int:
        return os.getpid()

    def generate(self, prompts: list[Prompt], sampling: SamplingConfig | None) -> list[Generation]:
        return self.backend.generate(prompts, sampling)

    def load_weights(self, tensors: dict) -> None:
        if self.spec.backend == "vllm":
            from transformers import AutoConfig

            from agents.llm.weights import write_checkpoint

            write_checkpoint(tensors, AutoConfig.from_pretrained(self.model_path), self._weights_dir)
            self.backend.update_weights(self._weights_dir)
            return
        model = self.backend.model
        unknown = sorted(set(tensors) - set(model.state_dict()))
        if unknown:
            raise ValueError(f"weights that this engine's model does not have: {unknown[:3]}")
        model.load_state_dict(tensors, strict=False)

    def close(self) -> None:
        self.backend.close()
        if self._weights_dir is not None:
            shutil.rmtree(self._weights_dir, ignore_errors=True)
            self._weights_dir = None


class RemoteBackend(Backend):
    """Starts an :class:`EngineActor` (``num_cpus``/``num_gpus`` reserved) in the running Ray."""

    def __init__(self, spec: EngineSpec, *, num_cpus: float = 1.0, num_gpus: float = 0.0):
        import ray

        if not ray.is_initialized():
            raise RuntimeError("RemoteBackend needs a running Ray (ray.init, or a trainer with ray.enabled)")
        self.ray, self.spec = ray, spec
        self.actor, self.actor_pid = start_actor(ray, EngineActor, (spec,), num_cpus, num_gpus, "engine")

    def __repr__(self) -> str:
        return f"RemoteBackend({self.spec.backend}, model={self.spec.model_path!r})"

    def generate(self, prompts: Sequence[Prompt], sampling: SamplingConfig | None = None) -> list[Generation]:
        if self.actor is None:
            raise RuntimeError("this RemoteBackend was closed")
        rows = check_prompts(prompts)  # a bad batch is the caller's error, raised here
        return self.ray.get(self.actor.generate.remote(rows, sampling))

    def load_weights(self, tensors: dict) -> None:
        """Send ``tensors`` (name -> CPU tensor) through the object store; returns once loaded."""
        if self.actor is None:
            raise RuntimeError("this RemoteBackend was closed")
        self.ray.get(self.actor.load_weights.remote(self.ray.put(tensors)))

    def close(self) -> None:
        """End the actor (and its engine). Safe to call twice, and after Ray was shut down."""
        actor, self.actor = getattr(self, "actor", None), None
        end_actor(self.ray, actor)


def start_actor(ray, cls, args: tuple, num_cpus: float, num_gpus: float, what: str):
    """``cls(*args)`` as a Ray actor on ``num_cpus``/``num_gpus`` (``ray.<what>_cpus``/``_gpus``),
    once it is up; returns (actor, its pid). An actor that cannot be placed is a clear error."""
    actor = ray.remote(cls).options(num_cpus=num_cpus, num_gpus=num_gpus, max_restarts=0).remote(*args)
    try:
        return actor, ray.get(actor.pid.remote(), timeout=STARTUP_TIMEOUT_S)
    except ray.exceptions.GetTimeoutError:
        end_actor(ray, actor)
        raise RuntimeError(f"the {what} actor did not start within {STARTUP_TIMEOUT_S:g} s: does Ray have {num_cpus:g} "
                           f"CPUs and {num_gpus:g} GPUs free (ray.{what}_cpus, ray.{what}_gpus)?") from None
    except BaseException:
        end_actor(ray, actor)
        raise


def end_actor(ray, actor) -> None:
    """Let ``actor`` close what it holds, then kill it; nothing to do after Ray was shut down (an
    actor dies with the Ray session that owns it)."""
    if actor is None or not ray.is_initialized():
        return
    try:
        ray.get(actor.close.remote(), timeout=60)
    except Exception:  # a dead or hung actor cannot close itself; the kill below ends it
        pass
    ray.kill(actor, no_restart=True)
