"""Small envs that keep agora's env contract, and one variant of each that breaks exactly one rule.

tests/test_env_testing.py checks that envs.testing passes the good ones and names the broken rule
for every variant. The good ones are deliberately tiny: a countdown (text), a walk to a target
(numeric) and a two-agent echo game (multi-agent).
"""

from __future__ import annotations

import random

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs import MultiAgentTextEnv, MultiStepOutcome, TextEnv, text_space
from envs.core import MAX_OBS_CHARS
from tests.toy_envs import CountdownEnv

# --- single-agent text: CountdownEnv is the good one ---------------------------------------


class RaisesOnBadInput(CountdownEnv):
    def _step(self, action):
        if action not in self.admissible_actions():
            raise ValueError(f"cannot parse {action!r}")
        return super()._step(action)


class CallsBadInputValid(CountdownEnv):
    def _step(self, action):
        out = super()._step(action)
        out.action_valid = True
        return out


class Nondeterministic(CountdownEnv):
    def _step(self, action):
        out = super()._step(action)
        out.obs += f" (luck {random.random():.3f})"  # the global RNG, not self.np_random
        return out


class MissingInfoKey(CountdownEnv):
    def _info(self, action_valid=None):
        info = super()._info(action_valid)
        del info["admissible_actions"]
        return info


class ExpertNeverWins(CountdownEnv):
    def expert_action(self):
        return "skip"


class ExpertPlaysInvalidActions(CountdownEnv):
    def expert_action(self):
        return "99"


class NoExpert(CountdownEnv):
    expert_action = TextEnv.expert_action


class BytesObservations(CountdownEnv):
    def reset(self, *, seed=None, options=None):
        obs, info = super().reset(seed=seed, options=options)
        return obs.encode(), info


class AcceptsNonStrActions(CountdownEnv):
    def step(self, action):
        return super().step(str(action))


class CrashesAfterTheEnd(CountdownEnv):
    def step(self, action):
        if self._finished:
            raise RuntimeError("episode over")
        return super().step(action)


class IgnoresTheSeed(CountdownEnv):
    def _reset(self, options):
        obs = super()._reset(options)
        self.start = self.current = 3
        self.task = "Count down from 3 to 0."
        return "Start at 3."


class ResetTakesNoOptions(CountdownEnv):
    """Only Gymnasium's checker tries reset(options=...)."""

    def reset(self, *, seed=None):
        return super().reset(seed=seed)


# --- single-agent numeric ------------------------------------------------------------------


class WalkToTarget(gym.Env):
    """Move a point on [-10, 10] towards a seeded target; within 0.5 of it after 10 steps wins."""

    metadata = {"render_modes": []}
    STEPS = 10

    def __init__(self):
        self.observation_space = spaces.Box(-10.0, 10.0, shape=(2,), dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
        self.task = "Walk to the target."

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.position, self.target, self.t = 0.0, float(self.np_random.uniform(-5, 5)), 0
        return self._obs(), {"task": self.task, "won": False}

    def step(self, action):
        if isinstance(action, str) or action is None:
            raise TypeError(f"action must be a number array, got {type(action).__name__}")
        move = float(np.clip(np.nan_to_num(np.asarray(action, dtype=np.float64).reshape(-1)[0]), -1.0, 1.0))
        self.position = float(np.clip(self.position + self._noise(move), -10.0, 10.0))
        self.t += 1
        over = self.t >= self.STEPS
        won = over and abs(self.position - self.target) < 0.5
        return self._obs(), -abs(self.position - self.target), False, over, {"task": self.task, "won": won}

    def expert_action(self):
        return np.array([np.clip(self.target - self.position, -1.0, 1.0)], dtype=np.float32)

    def _noise(self, move):
        return move

    def _obs(self):
        return np.array([self.position, self.target], dtype=np.float32)


class CrashesOnNaN(WalkToTarget):
    def step(self, action):
        if np.isnan(np.asarray(action, dtype=np.float64)).any():
            raise ValueError("NaN action")
        return super().step(action)


class NumericNondeterministic(WalkToTarget):
    def _noise(self, move):
        return move + random.uniform(-0.01, 0.01)


class NumericMissingWon(WalkToTarget):
    def step(self, action):
        obs, reward, terminated, truncated, info = super().step(action)
        del info["won"]
        return obs, reward, terminated, truncated, info


class ObservationOutOfSpace(WalkToTarget):
    def _obs(self):
        return super()._obs() * 100.0


class AcceptsStrActions(WalkToTarget):
    def step(self, action):
        return super().step([0.0] if isinstance(action, str) or action is None else action)


class NumericExpertWalksAway(WalkToTarget):
    def expert_action(self):
        return -super().expert_action()


class NumericExpertLeavesTheActionSpace(WalkToTarget):
    def expert_action(self):
        return super().expert_action() * 5.0


# --- multi-agent ---------------------------------------------------------------------------


class EchoGame(MultiAgentTextEnv):
    """Two agents; each round each is shown a seeded digit and wins the round by saying it."""

    ROUNDS = 3

    def __init__(self):
        super().__init__(["left", "right"])

    def _reset(self, options):
        self.round, self.correct = 0, 0
        self._draw()
        return {a: self._show(a, "") for a in self.agents}

    def _step(self, actions, refused):
        notes, valid, rewards = {}, {}, {}
        for agent in self.agents:
            text = actions.get(agent, "")
            valid[agent] = agent not in refused and text in self.admissible_actions(agent)
            rewards[agent] = float(valid[agent] and text == f"say {self.digits[agent]}")
            self.correct += int(rewards[agent])
            notes[agent] = "" if valid[agent] else refused.get(agent, "Invalid action: say a digit, e.g. 'say 3'.")
        self.round += 1
        over = self.round >= self.ROUNDS
        self._draw()
        return MultiStepOutcome({a: self._show(a, notes[a]) for a in self.agents}, rewards, valid,
                                truncated=over, won=over and self.correct == self.ROUNDS * len(self.agents))

    def task_for(self, agent):
        return "Say the digit you are shown, every round."

    def admissible_actions(self, agent):
        return [f"say {d}" for d in range(10)]

    def expert_actions(self):
        return {a: f"say {self.digits[a]}" for a in self.agents}

    def _draw(self):
        self.digits = {a: int(self.np_random.integers(10)) for a in self.possible_agents}

    def _show(self, agent, note):
        return f"{note} Round {self.round + 1}: your digit is {self.digits[agent]}.".strip()


class MultiRaisesOnBadInput(EchoGame):
    def _step(self, actions, refused):
        bad = [a for a, text in actions.items() if text not in self.admissible_actions(a)]
        if bad:
            raise ValueError(f"cannot parse the actions of {bad}")
        return super()._step(actions, refused)


class MultiCallsBadInputValid(EchoGame):
    def _step(self, actions, refused):
        out = super()._step(actions, refused)
        out.action_valid = dict.fromkeys(out.action_valid, True)
        return out


class MultiNondeterministic(EchoGame):
    def _show(self, agent, note):
        return super()._show(agent, note) + f" (luck {random.random():.3f})"


class MultiMissingInfoKey(EchoGame):
    def _info(self, agent):
        info = super()._info(agent)
        del info["won"]
        return info


class MultiExpertLoses(EchoGame):
    def expert_actions(self):
        return {a: f"say {(self.digits[a] + 1) % 10}" for a in self.agents}


class MultiNoExpert(EchoGame):
    expert_actions = MultiAgentTextEnv.expert_actions


class MultiBytesObservations(EchoGame):
    def reset(self, seed=None, options=None):
        observations, infos = super().reset(seed=seed, options=options)
        return {a: obs.encode() for a, obs in observations.items()}, infos


class MultiAcceptsNonStrActions(EchoGame):
    def step(self, actions):
        return super().step({a: str(x) for a, x in actions.items()})


class MultiCrashesAfterTheEnd(EchoGame):
    def step(self, actions):
        if not self.agents:
            raise RuntimeError("game over")
        return super().step(actions)


class MultiIgnoresTheSeed(EchoGame):
    def reset(self, seed=None, options=None):
        return super().reset(seed=0, options=options)


class SpacesAreCopies(EchoGame):
    """PettingZoo requires the same space object on every call (its checker catches this)."""

    def observation_space(self, agent):
        return text_space(MAX_OBS_CHARS)
