"""MultiAgentTextEnv's own rules, and the expert policy asking the expert each base class declares."""

from __future__ import annotations

import pytest

from agents.agent import Decision
from agents.scripted import ExpertAgent
from envs import MultiAgentTextEnv
from envs.core import MAX_ACTION_CHARS
from tests.broken_envs import EchoGame, MultiNoExpert
from tests.toy_envs import CountdownEnv


def test_missing_and_over_long_actions_are_refused_before_the_subclass_sees_them():
    seen = {}

    class Recording(EchoGame):
        def _step(self, actions, refused):
            seen.update(actions=dict(actions), refused=dict(refused))
            return super()._step(actions, refused)

    env = Recording()
    env.reset(seed=0)
    observations, _, _, _, infos = env.step({"left": "x" * (MAX_ACTION_CHARS + 1)})
    assert seen["actions"] == {}
    assert seen["refused"]["right"] == "No action was given."
    assert "4,097 characters long" in seen["refused"]["left"] and "4,097 characters long" in observations["left"]
    assert infos["left"]["action_valid"] is False and infos["right"]["action_valid"] is False


def test_programmer_errors_raise_and_nothing_is_played():
    env = EchoGame()
    env.reset(seed=0)
    with pytest.raises(TypeError, match="dict"):
        env.step(["say 1"])
    with pytest.raises(ValueError, match="unknown agents"):
        env.step({"middle": "say 1"})
    with pytest.raises(TypeError, match="action for left must be a str, got int"):
        env.step({"left": 1, "right": "say 1"})
    assert env.round == 0


def test_the_game_ends_for_every_agent_at_once_and_a_finished_game_returns_empty_dicts():
    env = EchoGame()
    env.reset(seed=0)
    for _ in range(EchoGame.ROUNDS):
        _, _, terms, truncs, infos = env.step(env.expert_actions())
    assert truncs == {"left": True, "right": True} and terms == {"left": False, "right": False}
    assert env.agents == [] and all(info["won"] and info["admissible_actions"] == [] for info in infos.values())
    assert env.step({"left": "say 1"}) == ({}, {}, {}, {}, {})


def test_the_expert_policy_asks_the_expert_the_env_declares():
    game = EchoGame()
    game.reset(seed=0)
    decisions = [Decision(task="", observation="", admissible_actions=[], agent_id=a, env=game) for a in game.agents]
    assert [g.text for g in ExpertAgent().act(decisions)] == [game.expert_actions()[a] for a in game.agents]

    class SingleWithAnExpertActionsMethod(CountdownEnv):
        def expert_actions(self):  # a name that used to route a single-agent env to the multi-agent call
            raise AssertionError("a single-agent env is asked expert_action()")

    single = SingleWithAnExpertActionsMethod()
    single.reset(seed=0)
    decision = Decision(task="", observation="", admissible_actions=[], env=single)
    assert ExpertAgent().act([decision])[0].text == single.expert_action()


def test_an_env_without_an_expert_says_so():
    game = MultiNoExpert()
    game.reset(seed=0)
    with pytest.raises(NotImplementedError, match="MultiNoExpert has no scripted expert"):
        ExpertAgent().act([Decision(task="", observation="", admissible_actions=[], agent_id="left", env=game)])
    assert MultiAgentTextEnv.expert_actions is MultiNoExpert.expert_actions
