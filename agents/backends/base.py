"""The backend interface: a batch of prompts in, one :class:`Generation` per row out.

A prompt is one of
- a list of chat messages (``[{"role": "user", "content": "..."}]``), formatted with the
  model's chat template and an assistant turn opened;
- a ``str``, shorthand for a single user message;
- a list of token ids (:class:`TokenPrompt`), used verbatim: token-in, token-out, no template.

Multi-agent environments need nothing special: each agent's prompt is one more row.

Token backends (``hf``, ``vllm``) return ``prompt_ids``/``response_ids`` exactly as the sampler
consumed/produced them, the end-of-sequence token included when generation stopped on it, and
one log-prob per response token. Log-probs are those of the distribution the token was actually
drawn from: logits divided by the temperature, then top-p truncated and renormalised
("processed" log-probs, vLLM's ``logprobs_mode="processed_logprobs"``). With ``top_p=1`` that
is ``log_softmax(logits / T)``. Greedy decoding (``temperature`` below 1e-5) reports
``log_softmax(logits)``. HTTP backends do not see tokens: their ids are ``None``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Union

Message = dict[str, str]
TokenPrompt = list[int]
Prompt = Union[str, list[Message], TokenPrompt]
FinishReason = Literal["stop", "length"]
# Temperatures below this sample greedily (vLLM's threshold too: dividing by ~0 is not sampling).
GREEDY_TEMPERATURE = 1e-5


@dataclass(frozen=True)
class SamplingConfig:
    """How to sample. ``temperature=0`` (or below 1e-5) means greedy. ``seed`` makes a batch
    reproducible on the same backend and machine; different rows still get different samples."""

    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int = 256
    seed: int | None = None

    def __post_init__(self):
        for name in ("temperature", "top_p"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0 (0 = greedy), got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if isinstance(self.max_tokens, bool) or not isinstance(self.max_tokens, int) or self.max_tokens < 1:
            raise ValueError(f"max_tokens must be an int >= 1, got {self.max_tokens!r}")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0):
            raise ValueError(f"seed must be None or an int >= 0, got {self.seed!r}")

    @property
    def greedy(self) -> bool:
        return self.temperature < GREEDY_TEMPERATURE


@dataclass
class Generation:
    """One sampled completion. ``logprobs[i]`` belongs to ``response_ids[i]``.

    ``finish_reason`` is ``"stop"`` (the model ended its turn) or ``"length"`` (``max_tokens``
    reached). ``prompt_ids``/``response_ids``/``logprobs`` are ``None`` when the backend cannot
    see tokens (HTTP endpoints); such generations can be evaluated but not trained on.
    """

    text: str
    prompt_ids: list[int] | None
    response_ids: list[int] | None
    logprobs: list[float] | None
    finish_reason: FinishReason
    extra: dict = field(default_factory=dict)

    @property
    def has_tokens(self) -> bool:
        return self.prompt_ids is not None and self.response_ids is not None


class Backend(ABC):
    """Anything that turns a batch of prompts into generations."""

    @abstractmethod
    def generate(self, prompts: Sequence[Prompt], sampling: SamplingConfig | None = None) -> list[Generation]:
        """One :class:`Generation` per prompt, in order."""

    def close(self) -> None:
        """Release engines, processes and memory. Safe to call twice."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def check_prompts(prompts: Sequence[Prompt]) -> list[Prompt]:
    """Validate a batch and return it as a list; raise ``TypeError``/``ValueError`` with the row."""
    if isinstance(prompts, (str, bytes)) or not isinstance(prompts, Sequence):
        raise TypeError(f"prompts must be a list of prompts (one per row), got {type(prompts).__name__}")
    rows = list(prompts)
    for i, prompt in enumerate(rows):
        if isinstance(prompt, str):
            continue
        if not isinstance(prompt, list) or not prompt:
            raise TypeError(
                f"prompt {i} must be a str, a non-empty list of chat messages or a non-empty list of token ids, "
                f"got {type(prompt).__name__ if not isinstance(prompt, list) else 'an empty list'}"
            )
        if all(isinstance(t, int) and not isinstance(t, bool) for t in prompt):
            if min(prompt) < 0:
                raise ValueError(f"prompt {i}: token ids must be >= 0")
            continue
        for j, message in enumerate(prompt):
            if not (
                isinstance(message, dict)
                and isinstance(message.get("role"), str)
                and isinstance(message.get("content"), str)
            ):
                raise TypeError(f"prompt {i}, message {j}: expected {{'role': str, 'content': str}}, got {message!r}")
    return rows


def as_messages(prompt: str | list[Message]) -> list[Message]:
    return [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt


def is_token_prompt(prompt: Prompt) -> bool:
    return isinstance(prompt, list) and bool(prompt) and isinstance(prompt[0], int)
