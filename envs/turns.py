"""Turn-taking on a PettingZoo ParallelEnv: one agent acts per step, the others reply ``wait``.

A ParallelEnv steps every live agent at once, so a turn-based game needs a rule for the agents
whose turn it is not. Here it is: their only admissible action is ``wait``; anything else (or no
action) is flagged ``action_valid=False`` and ignored, without a penalty, since it changes
nothing. ``infos[agent]["to_act"]`` says whose action counts this step. The acting agent's
invalid action (unparsable, or refused by the base class) costs it ``invalid_penalty`` on that
step only: the penalty is per agent, as in Dr. MAS; the team reward is shared by every agent.

A game ends when the subclass says so (``self.over``), or, truncated, after ``max_turns`` steps
(invalid actions waste turns, so a stuck agent cannot stall the game).
"""

from __future__ import annotations

from envs.core import MultiAgentTextEnv, MultiStepOutcome, quote_action

WAIT = "wait"


class TurnTakingEnv(MultiAgentTextEnv):
    """Subclasses set ``self.acting`` in ``_reset`` and implement ``_play``, ``_observe``,
    ``team_reward`` (read once, when the game ends), ``task_for``, ``acting_admissible`` and
    ``expert_action`` (the acting agent's expert move)."""

    def __init__(self, possible_agents: list[str], max_turns: int, invalid_penalty: float,
                 render_mode: str | None = None):
        if not isinstance(max_turns, int) or max_turns < 1:
            raise ValueError(f"max_turns must be a positive int, got {max_turns!r}")
        if not isinstance(invalid_penalty, (int, float)) or invalid_penalty < 0:
            raise ValueError(f"invalid_penalty must be a number >= 0, got {invalid_penalty!r}")
        super().__init__(possible_agents, render_mode=render_mode)
        self.max_turns = max_turns
        self.invalid_penalty = float(invalid_penalty)
        self.acting = possible_agents[0]
        self.over = False
        self.turns = 0

    # --- to implement ---------------------------------------------------------------
    def _play(self, agent: str, action: str) -> tuple[bool, str]:
        """Apply the acting agent's action: (valid, a note for its next observation). Set
        ``self.acting`` to the next agent, or ``self.over`` when the game is decided."""
        raise NotImplementedError

    def _observe(self, agent: str, note: str) -> str:
        raise NotImplementedError

    def team_reward(self) -> float:
        raise NotImplementedError

    def acting_admissible(self) -> list[str]:
        return []

    def expert_action(self) -> str:
        raise NotImplementedError(f"{type(self).__name__} has no scripted expert")

    # --- turn-taking ------------------------------------------------------------------
    def _start_turns(self, first: str) -> None:
        self.acting, self.over, self.turns = first, False, 0

    def _step(self, actions: dict[str, str], refused: dict[str, str]) -> MultiStepOutcome:
        actor = self.acting
        valid, notes = {}, {}
        for agent in self.agents:
            if agent == actor:
                continue
            text = actions.get(agent)
            valid[agent] = text is not None and text.strip().lower() == WAIT
            if valid[agent]:
                notes[agent] = ""
            else:
                shown = refused.get(agent) or f"Invalid action: {quote_action(text)}."
                notes[agent] = f"{shown} It is the {actor}'s turn, so reply '{WAIT}'."
        if actor in refused:
            valid[actor], notes[actor] = False, refused[actor]
        else:
            valid[actor], notes[actor] = self._play(actor, actions[actor])
        self.turns += 1
        truncated = not self.over and self.turns >= self.max_turns
        ended = self.over or truncated
        team = self.team_reward() if ended else 0.0
        rewards = {a: team - (self.invalid_penalty if a == actor and not valid[a] else 0.0) for a in self.agents}
        if truncated:
            notes = {a: f"{n} The game is over: {self.max_turns} turns were played.".strip() for a, n in notes.items()}
        self.over = ended
        return MultiStepOutcome(
            observations={a: self._observe(a, notes[a]) for a in self.agents},
            rewards=rewards, action_valid=valid, terminated=ended and not truncated, truncated=truncated,
            won=ended and team > 0,
        )

    def admissible_actions(self, agent: str) -> list[str]:
        return self.acting_admissible() if agent == self.acting else [WAIT]

    def expert_actions(self) -> dict[str, str]:
        move = self.expert_action()
        return {a: move if a == self.acting else WAIT for a in self.agents}

    def _info(self, agent: str) -> dict:
        return {**super()._info(agent), "to_act": bool(self.agents) and agent == self.acting}
