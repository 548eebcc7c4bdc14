"""Agents: what the rollout loop talks to.

The rollout hands an agent a batch of :class:`Decision` rows (what the env showed one agent at
one turn) and gets back one :class:`~agents.backends.base.Generation` per row, whose ``text`` the
rollout parses into an action. An LLM agent turns decisions into chat prompts (prompt template
+ memory) and samples from a backend; the tiny policy scores the admissible actions directly.

A :class:`TrainableAgent` can also recompute, with gradients, the log-probability and entropy of
every response token of stored step records: the one thing the learners need. For an LLM a
"token" is a vocabulary token; for the tiny policy the whole action choice is one token.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agents.backends.base import Generation, SamplingConfig

if TYPE_CHECKING:  # torch stays out of `import agents`
    import torch


@dataclass
class Decision:
    """One agent's view at one turn."""

    task: str
    observation: str
    admissible_actions: list[str]
    memory: list[tuple[str, str]] = field(default_factory=list)  # last k (observation, action) pairs
    turn: int = 0
    max_turns: int | None = None
    family: str = ""
    agent_id: str = "agent"
    to_act: bool = True  # False: in a turn-taking env it is another agent's turn (its only action is "wait")
    # The live env (unwrapped), for privileged scripted experts only; learned agents never read it.
    env: Any = field(default=None, repr=False, compare=False)


@dataclass
class TokenScores:
    """Per-token log-probs and entropies of stored responses, padded to ``[rows, max_len]``."""

    logprobs: "torch.Tensor"
    entropy: "torch.Tensor"
    mask: "torch.Tensor"  # 1.0 on real response tokens


def candidate_index(decision: Decision, action: str) -> int:
    """``action`` as an index into the decision's admissible actions: how a policy that chooses
    among candidates takes an action it did not pick itself (a guided rollout's expert step)."""
    try:
        return list(decision.admissible_actions).index(action)
    except ValueError:
        raise ValueError(
            f"the action {action!r} is not among the admissible actions, so a policy that chooses among "
            "them cannot take it"
        ) from None


class Agent(ABC):
    """Decides for a batch of decisions. ``generation.text`` is what the action parser reads."""

    @abstractmethod
    def act(self, decisions: Sequence[Decision], sampling: SamplingConfig | None = None) -> list[Generation]: ...

    def close(self) -> None:
        """Release engines and memory. Safe to call twice."""


class TrainableAgent(Agent):
    """An agent whose weights the trainer updates."""

    @abstractmethod
    def token_scores(self, prompt_ids: Sequence[list[int]], response_ids: Sequence[list[int]], extras: Sequence[dict]) -> TokenScores:
        """Log-prob and entropy of each stored response token under the current weights (with grad).

        ``extras`` are the step records' ``info`` dicts, for agents that stored more than ids.
        """

    @abstractmethod
    def trainable_parameters(self) -> list["torch.nn.Parameter"]: ...

    @abstractmethod
    def state_dict(self) -> dict[str, Any]: ...

    @abstractmethod
    def load_state_dict(self, state: dict[str, Any]) -> None: ...

    def train_mode(self, training: bool) -> None:
        """Switch dropout etc.; sampling always happens in eval mode."""

    def after_update(self) -> None:
        """Called after each trainer update: push new weights to a separate rollout engine (vLLM)."""
