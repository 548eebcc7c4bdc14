"""One frozen base model, one LoRA adapter per role: the memory-cheap team (peft multi-adapter).

``RoleAdapters(roles, ...)`` loads the base once (a :class:`TrainableLLMAgent` with LoRA) and
gives every role its own adapter, named after the role. ``adapters.role(name)`` is a
:class:`RoleAdapter`: a ``TrainableAgent`` that samples and scores with that role's adapter
switched on and the others off, whose ``trainable_parameters`` and ``state_dict`` are that
adapter's tensors only. So each role's rows train only its adapter (the others' and the base's
gradients stay None), and each adapter has its own optimiser and checkpoint entry.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import torch

from agents.agent import Decision, TokenScores, TrainableAgent
from agents.llm.trainable import TrainableLLMAgent
from agents.backends.base import Generation, SamplingConfig


class RoleAdapters:
    def __init__(self, roles: Sequence[str], *, lora, seed: int = 0, **llm_options):
        if not roles or len(set(roles)) != len(roles):
            raise ValueError(f"roles must be distinct names, got {list(roles)}")
        if lora is None:
            raise ValueError("one adapter per role needs LoRA settings")
        self.llm = TrainableLLMAgent(lora=lora, seed=seed, **llm_options)
        from peft import LoraConfig

        net = self.llm.model
        config = net.peft_config["default"]
        for k, role in enumerate(roles):
            with torch.random.fork_rng(devices=[]):  # each adapter's init from the seed and its place
                torch.manual_seed(seed + 1 + k)
                net.add_adapter(role, LoraConfig(**{**config.to_dict(), "inference_mode": False}))
        self.roles = list(roles)
        self._active: str | None = None
        self._activate(self.roles[0])
        net.delete_adapter("default")

    def _activate(self, role: str) -> None:
        if role not in self.roles:
            raise ValueError(f"no adapter for role {role!r}; adapters: {self.roles}")
        if role != self._active:
            self.llm.model.set_adapter(role)  # peft also makes only this adapter require grad
            self._active = role

    @contextlib.contextmanager
    def active(self, role: str):
        self._activate(role)
        yield self.llm

    def parameters_of(self, role: str) -> dict[str, torch.nn.Parameter]:
        """The named tensors of one role's adapter (peft names them ``...lora_A.<role>.weight``)."""
        tag = f".{role}."
        return {n: p for n, p in self.llm.model.named_parameters() if "lora_" in n and tag in n}

    def base_parameters(self) -> dict[str, torch.nn.Parameter]:
        return {n: p for n, p in self.llm.model.named_parameters() if "lora_" not in n}

    def role(self, name: str) -> "RoleAdapter":
        return RoleAdapter(self, name)

    def close(self) -> None:
        self.llm.close()


class RoleAdapter(TrainableAgent):
    """One role's view of :class:`RoleAdapters`."""

    def __init__(self, adapters: RoleAdapters, role: str):
        if role not in adapters.roles:
            raise ValueError(f"no adapter for role {role!r}; adapters: {adapters.roles}")
        self.adapters, self.name = adapters, role

    def __repr__(self) -> str:
        return f"RoleAdapter({self.name!r}, base={self.adapters.llm.path})"

    def act(self, decisions: Sequence[Decision], sampling: SamplingConfig | None = None) -> list[Generation]:
        with self.adapters.active(self.name) as llm:
            return llm.act(decisions, sampling)

    def token_scores(self, prompt_ids, response_ids, extras) -> TokenScores:
        with self.adapters.active(self.name) as llm:
            return llm.token_scores(prompt_ids, response_ids, extras)

    def trainable_parameters(self) -> list[torch.nn.Parameter]:
        return list(self.adapters.parameters_of(self.name).values())

    def state_dict(self) -> dict[str, Any]:
        lora = self.adapters.llm.lora
        tensors = {n: p.detach().cpu().clone().contiguous() for n, p in self.adapters.parameters_of(self.name).items()}
        return {"config": {"lora": lora.model_dump(), "role": self.name}, "tensors": tensors}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        params = self.adapters.parameters_of(self.name)
        tensors = state["tensors"]
        if set(tensors) != set(params):
            raise ValueError(f"checkpoint adapter tensors do not fit role {self.name!r}'s adapter "
                             f"(missing {sorted(set(params) - set(tensors))[:2]}, unexpected {sorted(set(tensors) - set(params))[:2]})")
        with torch.no_grad():
            for n, p in params.items():
                p.copy_(tensors[n].to(device=p.device, dtype=p.dtype))

    def train_mode(self, training: bool) -> None:
        self.adapters.llm.train_mode(training)

    def close(self) -> None:
        """The base is shared: :meth:`RoleAdapters.close` releases it."""
