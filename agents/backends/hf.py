"""Sample from any Hugging Face causal LM, keeping token ids and log-probs exactly as sampled.

The sampling loop is written out (prefill, then one token at a time on the KV cache) rather than
delegated to ``model.generate``, so the distribution each token is drawn from is the one defined
by :func:`agents.logprobs.processed_logprobs`, the one :func:`response_logprobs` recomputes,
and the one vLLM reports with ``logprobs_mode="processed_logprobs"`` (greedy: argmax).

The checkpoint's own generation defaults (top_k, repetition penalty, ...) are ignored on purpose:
the :class:`SamplingConfig` is the whole story.

The model is a public attribute: a trainer may share it (weights update in place) or push new
weights with :meth:`HFBackend.load_state_dict`.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Sequence
from pathlib import Path

import torch

from agents.backends.chat import encode_prompt, stop_token_ids
from agents.logprobs import entropy, processed_logprobs
from agents.models import resolve_model_path
from agents.backends.base import Generation, Backend, Prompt, SamplingConfig, check_prompts


def _accepts_logits_to_keep(model) -> bool:
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "logits_to_keep" in inspect.signature(type(base).forward).parameters


def response_logprobs(
    model,
    prompt_ids: Sequence[Sequence[int]],
    response_ids: Sequence[Sequence[int]],
    *,
    temperature: float = 1.0,
    top_p: float = 1.0,
    pad_token_id: int = 0,
    with_entropy: bool = False,
) -> tuple[torch.Tensor, ...]:
    """Log-probs of each response token given its prompt under ``model``'s current weights.

    Returns ``(logprobs, mask)``, both ``(batch, longest response)``; padding positions hold 0
    and ``mask`` False. With ``with_entropy`` it returns ``(logprobs, mask, entropy)``, where
    ``entropy`` is that of the processed distribution at each response position (0 on padding).
    Differentiable: call under ``torch.no_grad()`` when no gradient is needed.
    Rows are laid out as ``[left pad | prompt | response | right pad]`` so every prompt ends in
    the same column, as during sampling.
    """
    if len(prompt_ids) != len(response_ids):
        raise ValueError(f"{len(prompt_ids)} prompts but {len(response_ids)} responses")
    if any(len(p) == 0 for p in prompt_ids):
        raise ValueError("every prompt needs at least one token")
    device = next(model.parameters()).device
    batch, p_len = len(prompt_ids), max(len(p) for p in prompt_ids)
    r_len = max((len(r) for r in response_ids), default=0)
    if r_len == 0:
        empty = torch.zeros(batch, 0, device=device)
        return (empty, empty.bool(), empty) if with_entropy else (empty, empty.bool())
    input_ids = torch.full((batch, p_len + r_len), pad_token_id, dtype=torch.long)
    attention = torch.zeros_like(input_ids)
    for i, (p, r) in enumerate(zip(prompt_ids, response_ids)):
        input_ids[i, p_len - len(p) : p_len + len(r)] = torch.tensor([*p, *r])
        attention[i, p_len - len(p) : p_len + len(r)] = 1
    input_ids, attention = input_ids.to(device), attention.to(device)
    positions = (attention.cumsum(-1) - 1).clamp(min=0)
    kwargs = {"logits_to_keep": r_len + 1} if _accepts_logits_to_keep(model) else {}
    logits = model(input_ids=input_ids, attention_mask=attention, position_ids=positions, **kwargs).logits
    # The token in column p_len + j is predicted by the logits of column p_len + j - 1.
    logits = logits[:, -(r_len + 1) : -1]
    logprobs = processed_logprobs(logits, temperature, top_p)
    targets = input_ids[:, p_len:]
    mask = attention[:, p_len:].bool()
    picked = logprobs.gather(-1, targets.unsqueeze(-1)).squeeze(-1).masked_fill(~mask, 0.0)
    if not with_entropy:
        return picked, mask
    return picked, mask, entropy(logprobs).masked_fill(~mask, 0.0)


class HFBackend(Backend):
    """A transformers causal LM as a :class:`Backend`.

    ``model``: ``None``/``"default"`` for the embedded SmolLM2-135M-Instruct, a local checkpoint
    directory, or an already-built model object (then ``tokenizer`` is required).
    ``dtype``: default float32 on CPU, bfloat16 on GPU.
    """

    def __init__(
        self,
        model=None,
        tokenizer=None,
        *,
        device: str | torch.device | None = None,
        dtype: torch.dtype | None = None,
        max_batch_size: int = 32,
    ):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be >= 1, got {max_batch_size}")
        self.max_batch_size = max_batch_size
        if isinstance(model, torch.nn.Module):
            if tokenizer is None:
                raise ValueError("a tokenizer is required when passing a model object")
            self.model, self.tokenizer = model, tokenizer
            self.path = None
        else:
            self.path = resolve_model_path(model)
            device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
            dtype = dtype or (torch.float32 if device.type == "cpu" else torch.bfloat16)
            self.tokenizer = tokenizer or AutoTokenizer.from_pretrained(self.path)
            self.model = AutoModelForCausalLM.from_pretrained(self.path, dtype=dtype).to(device)
            self.model.eval()
        self.stop_ids = stop_token_ids(self.tokenizer, getattr(self.model, "generation_config", None))
        pad = self.tokenizer.pad_token_id
        self.pad_id = int(pad if pad is not None else self.stop_ids[0])
        self.max_positions = getattr(self.model.config, "max_position_embeddings", None)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def __repr__(self) -> str:
        return f"HFBackend(model={str(self.path or type(self.model).__name__)!r}, device={self.device})"

    # --- sampling ---------------------------------------------------------------------
    def generate(self, prompts: Sequence[Prompt], sampling: SamplingConfig | None = None) -> list[Generation]:
        sampling = sampling or SamplingConfig()
        encoded = [encode_prompt(self.tokenizer, p) for p in check_prompts(prompts)]
        for i, ids in enumerate(encoded):
            if self.max_positions and len(ids) >= self.max_positions:
                raise ValueError(
                    f"prompt {i} has {len(ids)} tokens; the model takes at most {self.max_positions} positions"
                )
        generator = None
        if sampling.seed is not None:
            generator = torch.Generator(device=self.device).manual_seed(sampling.seed)
        was_training = self.model.training
        self.model.eval()
        try:
            out = []
            for start in range(0, len(encoded), self.max_batch_size):
                out += self._generate_batch(encoded[start : start + self.max_batch_size], sampling, generator)
            return out
        finally:
            self.model.train(was_training)

    @torch.no_grad()
    def _generate_batch(self, prompts: list[list[int]], sampling: SamplingConfig, generator) -> list[Generation]:
        device, batch = self.device, len(prompts)
        p_len = max(len(p) for p in prompts)
        input_ids = torch.full((batch, p_len), self.pad_id, dtype=torch.long)
        attention = torch.zeros_like(input_ids)
        for i, p in enumerate(prompts):  # left padding: every prompt ends in the last column
            input_ids[i, p_len - len(p) :] = torch.tensor(p)
            attention[i, p_len - len(p) :] = 1
        input_ids, attention = input_ids.to(device), attention.to(device)
        positions = (attention.cumsum(-1) - 1).clamp(min=0)
        budget = [
            min(sampling.max_tokens, self.max_positions - len(p)) if self.max_positions else sampling.max_tokens
            for p in prompts
        ]
        stop_ids = torch.tensor(self.stop_ids, device=device)
        kwargs = {"logits_to_keep": 1} if _accepts_logits_to_keep(self.model) else {}

        tokens: list[list[int]] = [[] for _ in prompts]
        logps: list[list[float]] = [[] for _ in prompts]
        finished = torch.zeros(batch, dtype=torch.bool, device=device)
        out = self.model(
            input_ids=input_ids, attention_mask=attention, position_ids=positions, use_cache=True, **kwargs
        )
        for _ in range(max(budget)):
            logprobs = processed_logprobs(out.logits[:, -1], sampling.temperature, sampling.top_p)
            if sampling.greedy:
                next_ids = logprobs.argmax(dim=-1)
            else:
                next_ids = torch.multinomial(logprobs.exp(), 1, generator=generator).squeeze(-1)
            next_logps = logprobs.gather(-1, next_ids.unsqueeze(-1)).squeeze(-1)
            step_ids, step_logps, done = next_ids.tolist(), next_logps.tolist(), finished.tolist()
            for i in range(batch):
                if not done[i]:
                    tokens[i].append(step_ids[i])
                    logps[i].append(step_logps[i])
            finished |= torch.isin(next_ids, stop_ids)
            finished |= torch.tensor([len(t) >= b for t, b in zip(tokens, budget)], device=device)
            if bool(finished.all()):
                break
            next_ids = next_ids.masked_fill(finished, self.pad_id)  # finished rows idle on padding
            attention = torch.cat([attention, torch.ones_like(attention[:, :1])], dim=-1)
            positions = positions[:, -1:] + 1
            out = self.model(
                input_ids=next_ids.unsqueeze(-1),
                attention_mask=attention,
                position_ids=positions,
                past_key_values=out.past_key_values,
                use_cache=True,
            )
        return [
            Generation(
                text=self.tokenizer.decode(t, skip_special_tokens=True),
                prompt_ids=list(p),
                response_ids=t,
                logprobs=lp,
                finish_reason="stop" if t and t[-1] in self.stop_ids else "length",
            )
            for p, t, lp in zip(prompts, tokens, logps)
        ]

    # --- for the trainer --------------------------------------------------------------
    def logprobs_of(
        self,
        prompt_ids: Sequence[Sequence[int]],
        response_ids: Sequence[Sequence[int]],
        *,
        temperature: float = 1.0,
        top_p: float = 1.0,
    ) -> list[list[float]]:
        """Recompute the log-prob of each given response token under the current weights
        (same processing as sampling; no gradient). For a differentiable version use
        :func:`response_logprobs` on ``self.model``."""
        was_training = self.model.training
        self.model.eval()
        try:
            rows = []
            for start in range(0, len(prompt_ids), self.max_batch_size):
                stop = start + self.max_batch_size
                with torch.no_grad():
                    logprobs, mask = response_logprobs(
                        self.model,
                        prompt_ids[start:stop],
                        response_ids[start:stop],
                        temperature=temperature,
                        top_p=top_p,
                        pad_token_id=self.pad_id,
                    )
                rows += [lp[m].tolist() for lp, m in zip(logprobs, mask)]
            return rows
        finally:
            self.model.train(was_training)

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> None:
        """Replace the weights (e.g. pushed from a trainer in another process)."""
        self.model.load_state_dict(state_dict, strict=strict)

    def save_checkpoint(self, path: str | os.PathLike) -> Path:
        """Write model and tokenizer as a plain checkpoint (what ``VLLMBackend.update_weights`` reads)."""
        path = Path(path)
        self.model.save_pretrained(path, safe_serialization=True)
        self.tokenizer.save_pretrained(path)
        return path
