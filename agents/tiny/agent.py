"""``TinyAgent``: the tiny policy as a :class:`~agents.agent.TrainableAgent`.

It picks one of the admissible actions, so the whole action is one "token": ``response_ids`` is
``[index of the chosen action]`` and ``logprobs`` its log-probability. The candidates' token ids
travel in ``Generation.extra["candidate_ids"]`` and their memory outcomes in
``extra["outcome_matches"]`` (with the sampling temperature and top-p), which the rollout stores
in the step's info; :meth:`TinyAgent.token_scores` rebuilds the distribution from those alone,
never from text.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np
import torch

from agents.agent import Decision, TokenScores, TrainableAgent, candidate_index
from agents.logprobs import entropy, processed_logprobs
from agents.backends.base import Generation, SamplingConfig
from agents.tiny.config import TinyConfig
from agents.tiny.model import TinyScorer
from agents.tiny.tokenizer import action_ids, context_ids, outcome_matches


class TinyAgent(TrainableAgent):
    """A small network trained from scratch that scores admissible actions (see ``agents.tiny.model``)."""

    def __init__(self, config: TinyConfig | None = None, seed: int = 0):
        self.config = config or TinyConfig()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = TinyScorer(self.config.vocab_size, self.config.dim, self.config.hidden, self.config.novelty_prior)
        self.model.eval()

    def __repr__(self) -> str:
        n = sum(p.numel() for p in self.model.parameters())
        return f"TinyAgent({self.config}, parameters={n})"

    # --- acting -------------------------------------------------------------------------
    def encode(self, decisions: Sequence[Decision]) -> tuple[list[list[int]], list[list[list[int]]], list[list[int]]]:
        """Context ids, candidate ids and candidate outcome matches of each decision."""
        config = self.config
        prompts, candidates, outcomes = [], [], []
        for i, d in enumerate(decisions):
            if not isinstance(d, Decision):
                raise TypeError(f"decision {i} must be an agents.agent.Decision, got {type(d).__name__}")
            if not d.admissible_actions:
                raise ValueError(
                    f"decision {i} (env family {d.family or 'unknown'!r}) lists no admissible actions: the tiny "
                    "policy only chooses among listed candidates, so it cannot play free-form environments; "
                    "use an LLM backend for them"
                )
            memory = list(d.memory)
            prompts.append(
                context_ids(
                    d.task, d.observation, memory, d.turn, d.max_turns,
                    config.max_words, config.memory_obs_k, config.memory_act_k,
                )
            )
            candidates.append([list(action_ids(a, config.max_words)) for a in d.admissible_actions])
            outcomes.append(outcome_matches(d.task, d.observation, memory, list(d.admissible_actions), config.max_words))
        return prompts, candidates, outcomes

    def act(self, decisions: Sequence[Decision], sampling: SamplingConfig | None = None) -> list[Generation]:
        sampling = sampling or SamplingConfig()
        rows = list(decisions)
        if not rows:
            return []
        encoded, logprobs, context = self._distribution(rows, sampling)
        if sampling.greedy:
            choice = logprobs.argmax(dim=-1)
        else:
            generator = None
            if sampling.seed is not None:
                # Mix the batch's ids into the seed: the same batch and seed give the same choices,
                # but a caller that passes one seed every turn still gets fresh draws each turn
                # (a fixed seed alone would replay the same uniforms, freezing exploration).
                seed = zlib.crc32(context.numpy().tobytes(), sampling.seed & 0xFFFFFFFF) + (sampling.seed << 32)
                generator = torch.Generator().manual_seed(seed % (1 << 63))
            choice = torch.multinomial(logprobs.exp(), 1, generator=generator).squeeze(-1)
        return self._generations(rows, encoded, logprobs, choice.tolist(), sampling)

    def act_as(self, decisions: Sequence[Decision], actions: Sequence[str], sampling: SamplingConfig | None = None) -> list[Generation]:
        """Generations that take the given ``actions`` (a guided rollout's expert steps), scored
        exactly as :meth:`act` scores its own choices."""
        sampling = sampling or SamplingConfig()
        rows = list(decisions)
        if not rows:
            return []
        encoded, logprobs, _ = self._distribution(rows, sampling)
        return self._generations(rows, encoded, logprobs, [candidate_index(d, a) for d, a in zip(rows, actions)], sampling)

    def _distribution(self, rows: list[Decision], sampling: SamplingConfig):
        """The encoded decisions, the sampling distribution over each one's candidates, and the context ids."""
        encoded = self.encode(rows)
        context, candidate_ids, outcome = batch_tensors(*encoded)
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                scores = self.model(context, candidate_ids, outcome)
        finally:
            self.model.train(was_training)
        n = len(rows)
        temperature = torch.full((n,), float(sampling.temperature))
        return encoded, processed_logprobs(scores, temperature, torch.full((n,), float(sampling.top_p))), context

    @staticmethod
    def _generations(rows, encoded, logprobs, choices: list[int], sampling: SamplingConfig) -> list[Generation]:
        prompts, candidates, outcomes = encoded
        chosen_logprobs = logprobs.gather(1, torch.tensor(choices).unsqueeze(1)).squeeze(1).tolist()
        return [
            Generation(
                text=d.admissible_actions[index],
                prompt_ids=prompt,
                response_ids=[index],
                logprobs=[logprob],
                finish_reason="stop",
                extra={
                    "candidate_ids": cands,
                    "outcome_matches": matches,
                    "temperature": sampling.temperature,
                    "top_p": sampling.top_p,
                },
            )
            for d, prompt, cands, matches, index, logprob in zip(
                rows, prompts, candidates, outcomes, choices, chosen_logprobs
            )
        ]

    # --- learning -----------------------------------------------------------------------
    def token_scores(
        self, prompt_ids: Sequence[list[int]], response_ids: Sequence[list[int]], extras: Sequence[dict]
    ) -> TokenScores:
        if not len(prompt_ids) == len(response_ids) == len(extras):
            raise ValueError(
                f"need one response and one extra per prompt, got {len(prompt_ids)}, {len(response_ids)}, {len(extras)}"
            )
        candidates, outcomes, choices, temperatures, top_ps = [], [], [], [], []
        for i, (response, extra) in enumerate(zip(response_ids, extras)):
            missing = [k for k in ("candidate_ids", "outcome_matches") if not isinstance(extra, dict) or k not in extra]
            if missing:
                raise ValueError(f"row {i}: the step's info lacks {missing} (was it sampled by this TinyAgent?)")
            cands = extra["candidate_ids"]
            if len(extra["outcome_matches"]) != len(cands):
                raise ValueError(f"row {i}: {len(extra['outcome_matches'])} outcome matches for {len(cands)} candidates")
            if len(response) != 1 or not 0 <= int(response[0]) < len(cands):
                raise ValueError(f"row {i}: response_ids must be [index of one of {len(cands)} candidates], got {response}")
            candidates.append(cands)
            outcomes.append(extra["outcome_matches"])
            choices.append(int(response[0]))
            temperatures.append(float(extra.get("temperature", 1.0)))
            top_ps.append(float(extra.get("top_p", 1.0)))
        scores = self.model(*batch_tensors([list(p) for p in prompt_ids], candidates, outcomes))
        logprobs = processed_logprobs(scores, torch.tensor(temperatures), torch.tensor(top_ps))
        spread = entropy(logprobs)  # before the gather: autograd then sums the gradients in a fixed order
        chosen = logprobs.gather(1, torch.tensor(choices).unsqueeze(1))
        return TokenScores(logprobs=chosen, entropy=spread.unsqueeze(1), mask=torch.ones_like(chosen))

    def trainable_parameters(self) -> list[torch.nn.Parameter]:
        return [p for p in self.model.parameters() if p.requires_grad]

    def state_dict(self) -> dict[str, Any]:
        """``{"config": plain dict, "tensors": {name: tensor}}`` (safetensors-ready tensors)."""
        tensors = {name: t.detach().clone().contiguous() for name, t in self.model.state_dict().items()}
        return {"config": self.config.model_dump(), "tensors": tensors}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        config = _config_from(state)
        if config != self.config:
            raise ValueError(f"checkpoint config {config} differs from this agent's {self.config}; use TinyAgent.from_state_dict")
        try:
            self.model.load_state_dict(state["tensors"])
        except RuntimeError as err:
            first = str(err).strip().splitlines()[1:2] or [str(err)]
            raise ValueError(
                f"the checkpoint's tensors do not fit this version of the tiny policy's network (saved by an "
                f"older agora?): {first[0].strip()}"
            ) from err

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> "TinyAgent":
        agent = cls(_config_from(state))
        agent.load_state_dict(state)
        return agent

    def train_mode(self, training: bool) -> None:
        self.model.train(training)


def _config_from(state: dict[str, Any]) -> TinyConfig:
    unknown = sorted(set(state["config"]) - set(TinyConfig.model_fields))
    if unknown:
        raise ValueError(
            f"the checkpoint's tiny-policy config has settings this version of agora does not know: {unknown} "
            "(saved by another version?)"
        )
    return TinyConfig(**state["config"])


def batch_tensors(
    prompts: list[list[int]], candidates: list[list[list[int]]], outcomes: list[list[int]]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Zero-padded ``[B, L]`` context ids, ``[B, C, Lc]`` candidate ids and ``[B, C]`` outcome matches."""
    context = _pad(prompts)
    flat = [c for cands in candidates for c in cands]
    per_row = [len(cands) for cands in candidates]
    padded = _pad(flat)  # [total candidates, Lc]
    out = np.zeros((len(candidates), max(per_row), padded.shape[1]), dtype=np.int64)
    row = np.repeat(np.arange(len(candidates)), per_row)
    col = np.arange(len(flat)) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    out[row, col] = padded
    return torch.from_numpy(context), torch.from_numpy(out), torch.from_numpy(_pad(outcomes).astype(np.float32))


def _pad(rows: list[list[int]]) -> np.ndarray:
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    out = np.zeros((len(rows), max(int(lengths.max()), 1)), dtype=np.int64)
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=int(lengths.sum()))
    row = np.repeat(np.arange(len(rows)), lengths)
    col = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    out[row, col] = flat
    return out
