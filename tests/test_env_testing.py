"""envs.testing: the good fixtures pass every check; each broken one fails with the rule it breaks."""

from __future__ import annotations

import subprocess
import sys

import pytest

import envs
from envs import testing
from envs.testing import EnvContractError, check_env, check_multi_agent_env, check_numeric_env, check_text_env
from tests import broken_envs as broken
from tests.toy_envs import CountdownEnv

GOOD = [(check_text_env, CountdownEnv), (check_numeric_env, broken.WalkToTarget), (check_multi_agent_env, broken.EchoGame)]

BROKEN = [
    (check_text_env, broken.RaisesOnBadInput, "bad input never raises"),
    (check_text_env, broken.CallsBadInputValid, "bad input is explained with action_valid=False"),
    (check_text_env, broken.Nondeterministic, "same seed and actions give the same transcript"),
    (check_text_env, broken.MissingInfoKey, "info holds task, admissible_actions, won and, after a step, action_valid"),
    (check_text_env, broken.ExpertNeverWins, "the scripted expert wins a goal-based env"),
    (check_text_env, broken.ExpertPlaysInvalidActions, "the scripted expert plays valid actions to the end of the episode"),
    (check_text_env, broken.NoExpert, "the env ships a scripted expert"),
    (check_text_env, broken.BytesObservations, "observations are non-empty str in the observation space"),
    (check_text_env, broken.AcceptsNonStrActions, "a non-str action raises TypeError"),
    (check_text_env, broken.CrashesAfterTheEnd, "stepping a finished episode is explained, not raised"),
    (check_text_env, broken.IgnoresTheSeed, "different seeds give different episodes"),
    (check_text_env, broken.ResetTakesNoOptions, "gymnasium check_env passes"),
    (check_numeric_env, broken.CrashesOnNaN, "out-of-range actions (NaN, inf, huge) never crash and give a finite reward"),
    (check_numeric_env, broken.NumericNondeterministic, "same seed and actions give the same transcript"),
    (check_numeric_env, broken.NumericMissingWon, "info holds task and won"),
    (check_numeric_env, broken.ObservationOutOfSpace, "observations lie in the observation space"),
    (check_numeric_env, broken.AcceptsStrActions, testing.WRONG_TYPE_NUMERIC),
    (check_numeric_env, broken.NumericExpertWalksAway, "the scripted expert wins a goal-based env"),
    (check_numeric_env, broken.NumericExpertLeavesTheActionSpace, "the scripted expert plays valid actions to the end of the episode"),
    (check_multi_agent_env, broken.MultiRaisesOnBadInput, "bad input never raises"),
    (check_multi_agent_env, broken.MultiCallsBadInputValid, "bad input is explained with action_valid=False"),
    (check_multi_agent_env, broken.MultiNondeterministic, "same seed and actions give the same transcript"),
    (check_multi_agent_env, broken.MultiMissingInfoKey, "info holds task, admissible_actions, won and, after a step, action_valid"),
    (check_multi_agent_env, broken.MultiExpertLoses, "the scripted expert wins a goal-based env"),
    (check_multi_agent_env, broken.MultiNoExpert, "the env ships a scripted expert"),
    (check_multi_agent_env, broken.MultiBytesObservations, "observations are non-empty str in the observation space"),
    (check_multi_agent_env, broken.MultiAcceptsNonStrActions, "a non-str action raises TypeError"),
    (check_multi_agent_env, broken.MultiCrashesAfterTheEnd, "stepping a finished episode is explained, not raised"),
    (check_multi_agent_env, broken.MultiIgnoresTheSeed, "different seeds give different episodes"),
    (check_multi_agent_env, broken.SpacesAreCopies, "pettingzoo parallel_api_test passes"),
]


@pytest.mark.parametrize("check, env_class", GOOD, ids=[c.__name__ for _, c in GOOD])
def test_the_good_fixtures_pass(check, env_class):
    check(env_class)
    check_env(env_class)


@pytest.mark.parametrize("check, env_class, rule", BROKEN, ids=[c.__name__ for _, c, _ in BROKEN])
def test_each_broken_env_fails_with_the_rule_it_breaks(check, env_class, rule):
    with pytest.raises(EnvContractError) as failure:
        check(env_class)
    assert failure.value.rule == rule
    assert str(failure.value).startswith(f"rule '{rule}': ")
    with pytest.raises(EnvContractError, match="^rule '"):  # the dispatcher runs the same contract
        check_env(env_class)
    assert isinstance(failure.value, AssertionError)  # pytest shows it as a failed assertion


def test_the_message_says_what_was_done_and_what_happened():
    with pytest.raises(EnvContractError) as failure:
        check_text_env(broken.RaisesOnBadInput)
    assert str(failure.value) == "rule 'bad input never raises': step('') raised ValueError: cannot parse ''"
    with pytest.raises(EnvContractError, match=r"seed 0: .*won=False"):
        check_text_env(broken.ExpertNeverWins)


def test_goal_based_false_skips_only_the_win_rule():
    check_text_env(broken.ExpertNeverWins, goal_based=False)
    check_numeric_env(broken.NumericExpertWalksAway, goal_based=False)
    with pytest.raises(EnvContractError, match="bad input never raises"):
        check_text_env(broken.RaisesOnBadInput, goal_based=False)


def test_an_expert_that_never_ends_fails_within_max_steps():
    with pytest.raises(EnvContractError, match="seed 0: .* did not end within max_steps=1"):
        check_text_env(CountdownEnv, max_steps=1, seeds=(0,))


def test_an_instance_is_checked_and_left_open():
    env = broken.EchoGame()
    check_multi_agent_env(env, seeds=(3,))
    assert env.reset(seed=0)[0]  # still usable: only envs the check built are closed


def test_a_registered_id_uses_its_spec(monkeypatch):
    """A spec with goal_based=False lets an expert that never wins pass; the same env as a class does not."""
    spec = envs.EnvSpec("test/NeverWins-v0", broken.ExpertNeverWins, goal_based=False)
    monkeypatch.setattr(envs, "spec", lambda env_id: spec)
    monkeypatch.setattr(envs, "make", lambda env_id: broken.ExpertNeverWins())
    check_env("test/NeverWins-v0")
    with pytest.raises(EnvContractError, match="wins a goal-based env"):
        check_env(broken.ExpertNeverWins)


def test_a_missing_engine_is_an_import_error_and_other_build_failures_name_the_rule():
    def needs_engine():
        raise ImportError("needs the Foo engine: pip install foo")

    def broken_constructor():
        raise RuntimeError("config file missing")

    with pytest.raises(ImportError, match="Foo engine"):
        check_env(needs_engine)
    with pytest.raises(EnvContractError, match="rule 'the env builds': .*RuntimeError: config file missing"):
        check_env(broken_constructor)
    with pytest.raises(EnvContractError, match="rule 'the env builds': .*not a gymnasium.Env"):
        check_env(lambda: "not an env")
    with pytest.raises(TypeError, match="env id"):
        check_env(42)


def test_a_check_for_another_kind_of_env_says_which_to_use():
    with pytest.raises(TypeError, match="pettingzoo ParallelEnv, got CountdownEnv; check_env picks"):
        check_multi_agent_env(CountdownEnv)
    with pytest.raises(TypeError, match="gymnasium Env, got EchoGame"):
        check_text_env(broken.EchoGame)


def test_envs_testing_does_not_import_torch():
    code = "import sys, envs.testing; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
