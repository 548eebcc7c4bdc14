"""The text environment contract: ``TextEnv`` (single agent) and ``MultiAgentTextEnv``.

A ``TextEnv`` is a ``gymnasium.Env`` whose observations and actions are strings.

- ``reset(seed=, options=) -> (obs, info)`` and
  ``step(action) -> (obs, reward, terminated, truncated, info)``.
- ``info`` always holds ``task`` (goal text), ``admissible_actions`` (list of str, empty
  for free-form envs), ``won`` (bool) and, after a step, ``action_valid`` (bool).
- Bad input never raises: an unparsable or inadmissible action yields an explanatory
  observation, ``action_valid=False``, and the episode goes on. Only a programmer error
  (an action that is not a ``str``) raises ``TypeError``.
- Stepping a finished episode is also bad input, not a crash: the observation says so.
- Determinism: the same seed and actions give the same transcript.

Subclasses implement ``_reset``, ``_step``, ``admissible_actions`` and ``expert_action``.
An env without a scripted expert leaves ``expert_action`` raising ``NotImplementedError``;
the contract check (:mod:`envs.testing`) reports that as a broken rule.

A ``MultiAgentTextEnv`` is the same contract for a PettingZoo ``ParallelEnv``, per agent:
see its docstring. ``envs.testing`` checks both.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

# Every printable ASCII character, whitespace included, so multi-line observations fit.
TEXT_CHARSET = string.printable
_CHARSET = frozenset(TEXT_CHARSET)
MAX_OBS_CHARS = 100_000
MAX_ACTION_CHARS = 4_096
ECHO_CHARS = 80


def text_space(max_length: int) -> spaces.Text:
    return spaces.Text(max_length=max_length, min_length=0, charset=TEXT_CHARSET)


def quote_action(action: str) -> str:
    """A short, printable rendering of arbitrary user text for use inside observations."""
    shown = action[:ECHO_CHARS].encode("ascii", "backslashreplace").decode("ascii")
    shown = "".join(c if c in _CHARSET and c not in "\r\x0b\x0c" else "?" for c in shown)
    return repr(shown + ("..." if len(action) > ECHO_CHARS else ""))


def action_too_long(action: str) -> str:
    """The explanation for an action beyond the action space's cap (it is refused unread)."""
    return (f"Invalid action: {quote_action(action)} is {len(action):,} characters long; "
            f"an action has at most {MAX_ACTION_CHARS:,}.")


def to_printable(text: str) -> str:
    """Map any text into the observation charset (engines may emit unicode)."""
    if text.isascii() and _CHARSET.issuperset(text):
        return text
    return text.encode("ascii", "backslashreplace").decode("ascii")


@dataclass
class StepOutcome:
    """What a subclass's ``_step`` reports; the base class turns it into the Gymnasium tuple."""

    obs: str
    reward: float = 0.0
    terminated: bool = False
    truncated: bool = False
    action_valid: bool = True
    won: bool = False
    extra: dict | None = None


class TextEnv(gym.Env[str, str]):
    metadata = {"render_modes": ["ansi", "human"]}

    def __init__(self, render_mode: str | None = None):
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}")
        self.render_mode = render_mode
        self.observation_space = text_space(MAX_OBS_CHARS)
        self.action_space = text_space(MAX_ACTION_CHARS)
        self.task = ""
        self._last_obs = ""
        self._won = False
        self._finished = False

    # --- to implement ---------------------------------------------------------------
    def _reset(self, options: dict) -> str:
        """Start an episode using ``self.np_random``; set ``self.task``; return the first observation."""
        raise NotImplementedError

    def _step(self, action: str) -> StepOutcome:
        raise NotImplementedError

    def admissible_actions(self) -> list[str]:
        return []

    def expert_action(self) -> str:
        """The scripted expert's next action in the current state (privileged information)."""
        raise NotImplementedError(f"{type(self).__name__} has no scripted expert")

    # --- the contract -------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[str, dict]:
        super().reset(seed=seed)
        if options is not None and not isinstance(options, dict):
            raise TypeError(f"options must be a dict or None, got {type(options).__name__}")
        self._won = False
        self._finished = False
        obs = to_printable(self._reset(dict(options or {})))
        self._last_obs = obs
        self._render_if_human()
        return obs, self._info()

    def step(self, action: str) -> tuple[str, float, bool, bool, dict]:
        if not isinstance(action, str):
            raise TypeError(f"action must be a str, got {type(action).__name__}")
        if self._finished:
            obs = "The episode is over. Call reset() to start a new one."
            return obs, 0.0, True, False, self._info(action_valid=False)
        out = self._step(action)
        self._won = self._won or out.won
        self._finished = out.terminated or out.truncated
        self._last_obs = to_printable(out.obs)
        self._render_if_human()
        info = self._info(action_valid=out.action_valid)
        if out.extra:
            info.update(out.extra)
        return self._last_obs, float(out.reward), bool(out.terminated), bool(out.truncated), info

    def render(self) -> str | None:
        if self.render_mode == "ansi":
            return self._last_obs
        if self.render_mode == "human":
            print(self._last_obs)
        return None

    def _render_if_human(self) -> None:
        if self.render_mode == "human":
            print(self._last_obs)

    def _info(self, action_valid: bool | None = None) -> dict:
        info = {
            "task": self.task,
            "admissible_actions": [] if self._finished else list(self.admissible_actions()),
            "won": self._won,
        }
        if action_valid is not None:
            info["action_valid"] = action_valid
        return info


@dataclass
class MultiStepOutcome:
    """What a multi-agent subclass's ``_step`` reports, one entry per agent that was live."""

    observations: dict[str, str]
    rewards: dict[str, float]
    action_valid: dict[str, bool]
    terminated: bool = False
    truncated: bool = False
    won: bool = False


class MultiAgentTextEnv(ParallelEnv):
    """A PettingZoo ``ParallelEnv`` with text observations and actions for every agent.

    - ``reset(seed=, options=) -> (observations, infos)`` and
      ``step(actions) -> (observations, rewards, terminations, truncations, infos)``, each a
      dict keyed by the live agents; all agents end together, and then ``agents`` is empty.
    - ``infos[agent]`` always holds ``task``, ``admissible_actions``, ``won`` (the same for
      every agent: the team's) and, after a step, ``action_valid``.
    - Bad input never raises: a missing, unparsable or over-long action (more than
      ``MAX_ACTION_CHARS``, refused unread) gets an explanatory observation and
      ``action_valid=False`` for that agent, and the game goes on. Only programmer errors
      raise: ``actions`` not a dict, or an action neither a ``str`` nor ``None``
      (``TypeError``); an actions dict naming an unknown agent (``ValueError``).
    - Stepping a finished game returns empty dicts. Same seed and actions, same transcript.

    Subclasses pass ``possible_agents`` to ``__init__`` and implement ``_reset``, ``_step``,
    ``task_for``, ``admissible_actions`` and ``expert_actions`` (left raising
    ``NotImplementedError`` by an env without a scripted expert).
    """

    metadata = {"name": "agora_multi_agent_text_env", "render_modes": ["ansi"], "is_parallelizable": True}

    def __init__(self, possible_agents: list[str], render_mode: str | None = None):
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        self.render_mode = render_mode
        self.possible_agents = list(possible_agents)
        self.agents: list[str] = []
        self._obs_space = {a: text_space(MAX_OBS_CHARS) for a in self.possible_agents}
        self._act_space = {a: text_space(MAX_ACTION_CHARS) for a in self.possible_agents}
        self._observations: dict[str, str] = {}
        self._won = False
        self.np_random: np.random.Generator | None = None

    def observation_space(self, agent: str) -> spaces.Text:
        return self._obs_space[agent]

    def action_space(self, agent: str) -> spaces.Text:
        return self._act_space[agent]

    # --- to implement ---------------------------------------------------------------
    def _reset(self, options: dict) -> dict[str, str]:
        """Start a game using ``self.np_random``; return every agent's first observation."""
        raise NotImplementedError

    def _step(self, actions: dict[str, str], refused: dict[str, str]) -> MultiStepOutcome:
        """Play one step. ``actions`` holds the live agents' action text; ``refused`` maps each
        other live agent (no action, or one over the length cap) to why it was refused."""
        raise NotImplementedError

    def task_for(self, agent: str) -> str:
        raise NotImplementedError

    def admissible_actions(self, agent: str) -> list[str]:
        return []

    def expert_actions(self) -> dict[str, str]:
        """The scripted expert team's next action for every live agent (privileged information)."""
        raise NotImplementedError(f"{type(self).__name__} has no scripted expert")

    # --- the contract -------------------------------------------------------------
    def reset(self, seed: int | None = None, options: dict | None = None):
        if options is not None and not isinstance(options, dict):
            raise TypeError(f"options must be a dict or None, got {type(options).__name__}")
        if seed is not None or self.np_random is None:
            self.np_random = np.random.default_rng(seed)
        self.agents = list(self.possible_agents)
        self._won = False
        observations = self._reset(dict(options or {}))
        self._observations = {a: to_printable(observations[a]) for a in self.agents}
        return dict(self._observations), {a: self._info(a) for a in self.agents}

    def step(self, actions: dict):
        check_action_dict(actions, self.possible_agents, "str")
        if not self.agents:
            return {}, {}, {}, {}, {}
        texts, refused = {}, {}
        for agent in self.agents:
            action = actions.get(agent)
            if action is None:
                refused[agent] = "No action was given."
            elif not isinstance(action, str):
                raise TypeError(f"action for {agent} must be a str, got {type(action).__name__}")
            elif len(action) > MAX_ACTION_CHARS:
                refused[agent] = action_too_long(action)
            else:
                texts[agent] = action
        live = list(self.agents)
        out = self._step(texts, refused)
        self._won = self._won or out.won
        over = out.terminated or out.truncated
        if over:
            self.agents = []
        self._observations = {a: to_printable(out.observations[a]) for a in live}
        infos = {a: {**self._info(a), "action_valid": bool(out.action_valid[a])} for a in live}
        rewards = {a: float(out.rewards[a]) for a in live}
        terminations = {a: bool(out.terminated) for a in live}
        truncations = {a: bool(out.truncated) and not out.terminated for a in live}
        return dict(self._observations), rewards, terminations, truncations, infos

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        return "\n\n".join(f"[{a}]\n{obs}" for a, obs in self._observations.items())

    def close(self) -> None:
        pass

    def _info(self, agent: str) -> dict:
        return {
            "task": self.task_for(agent),
            "admissible_actions": list(self.admissible_actions(agent)) if self.agents else [],
            "won": self._won,
        }


def check_action_dict(actions, possible_agents, kind: str) -> None:
    """A parallel env's ``actions`` must be a dict keyed by its agents: anything else is a
    programmer error (TypeError for the wrong type, ValueError for an agent it does not have)."""
    if not isinstance(actions, dict):
        raise TypeError(f"actions must be a dict agent -> {kind}, got {type(actions).__name__}")
    unknown = set(actions) - set(possible_agents)
    if unknown:
        raise ValueError(f"unknown agents {sorted(unknown)}; agents are {list(possible_agents)}")
