"""What a numeric inventory env does with each kind of action (the contract in numeric_env's docstring),
and its win rule: the expert racing alongside gives the same ``won`` as re-simulating it."""

from __future__ import annotations

import numpy as np
import pytest

import envs
from envs.inventory.baselines import beats_expert, expert_policy, simulate
from envs.inventory.numeric_env import InventoryEnv
from envs.inventory.text_env import InventoryTextEnv
from envs.inventory.wording import format_order

NUMERIC_IDS = ["agora/InvManagement-v1", "agora/InventoryNumeric-v0", "agora/LostSales-v0"]


def fresh(config="inv-management-v1", seed=0) -> InventoryEnv:
    env = InventoryEnv(config)
    env.reset(seed=seed)
    return env


@pytest.mark.parametrize("action", [
    "0.5 0.5 0.5", "[0.2, 0.2, 0.2]", None, ["0.5", "0.5", "0.5"], [0.5, None, 0.5], b"abc",
    {"a": 1}, [True, False, True], np.array([1 + 2j, 0, 0]), object(),
])
def test_an_action_that_is_not_numbers_raises_type_error_and_changes_nothing(action):
    env = fresh()
    before = env._observation()
    with pytest.raises(TypeError, match=r"3 number\(s\) in \[0, 1\], one per supply link"):
        env.step(action)
    assert env.chain.t == 0 and np.array_equal(env._observation(), before)


@pytest.mark.parametrize("action", [[0.5], [0.5] * 4, np.zeros((2, 3)), 0.5])
def test_a_wrong_number_of_entries_raises_value_error(action):
    env = fresh()
    with pytest.raises(ValueError, match="3 entries"):
        env.step(action)
    assert env.chain.t == 0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_infinite_orders_are_invalid_and_order_nothing(bad):
    env, idle = fresh(seed=4), fresh(seed=4)
    obs, reward, terminated, truncated, info = env.step(np.array([0.3, bad, 0.3], dtype=np.float32))
    want_obs, want_reward, *_ = idle.step(np.zeros(3, dtype=np.float32))
    assert info["action_valid"] is False and "finite" in info["action_error"]
    assert np.array_equal(obs, want_obs) and reward == want_reward  # exactly "order nothing"
    assert info["period"] == 1 and not (terminated or truncated)  # the period passed, the episode goes on
    obs, _, _, _, info = env.step(np.array([0.3, 0.3, 0.3], dtype=np.float32))
    assert info["action_valid"] is True and "action_error" not in info


def test_a_scalar_action_works_for_a_single_link():
    env = fresh("lost-sales-p9-L2")
    _, _, _, _, info = env.step(0.25)
    assert info["action_valid"] is True and env.chain.pipeline[0, 0, 1] == 10  # 0.25 of 40, due in 2


def test_stepping_after_the_end_is_bad_input_not_a_crash():
    env = InventoryEnv("lost-sales-p9-L1", periods=2)
    env.reset(seed=0)
    env.step([0.1])
    last_obs, _, _, truncated, _ = env.step([0.1])
    assert truncated
    obs, reward, terminated, truncated, info = env.step([0.1])
    assert np.array_equal(obs, last_obs) and reward == 0.0 and truncated and not terminated
    assert info["action_valid"] is False and "reset" in info["action_error"] and env.chain.t == 2
    with pytest.raises(TypeError):
        env.step("0.1")  # programmer errors still raise


def _mixed_policy(env, rng, expert_share):
    """The expert's action, replaced by a random one with probability 1 - expert_share: returns
    land on both sides of the win threshold."""
    if rng.random() < expert_share:
        return env.unwrapped.expert_action()
    return env.action_space.sample()


@pytest.mark.parametrize("env_id", NUMERIC_IDS)
def test_won_equals_the_old_rule_that_simulates_the_expert_again(env_id):
    env = envs.make(env_id)
    unwrapped = env.unwrapped
    outcomes = []
    for seed in range(36):
        rng = np.random.default_rng(seed)
        env.action_space.seed(seed)
        env.reset(seed=seed)
        expert_share = (1.0, 0.97, 0.93, 0.85, 0.7, 0.0)[seed % 6]
        total, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, info = env.step(_mixed_policy(env, rng, expert_share))
            total += reward
            done = terminated or truncated
        trace = unwrapped.chain.demand_trace[:1]
        assert unwrapped.race.expert_return == simulate(unwrapped.config, expert_policy(unwrapped.config), trace)[0]
        assert info["won"] == beats_expert(unwrapped.config, trace, total), f"seed {seed}"
        outcomes.append(info["won"])
    assert 3 <= sum(outcomes) <= len(outcomes) - 3  # both verdicts were exercised


def test_text_env_won_equals_the_old_rule():
    env = InventoryTextEnv("inv-management-v1")
    outcomes = []
    for seed in range(12):
        rng = np.random.default_rng(seed)
        env.reset(seed=seed)
        total, done = 0.0, False
        while not done:
            action = env.expert_action() if rng.random() < 0.9 - 0.07 * seed else format_order(rng.integers(0, 60, 3))
            _, reward, terminated, truncated, info = env.step(action)
            total += reward
            done = terminated or truncated
        assert info["won"] == beats_expert(env.config, env.chain.demand_trace[:1], total), f"seed {seed}"
        outcomes.append(info["won"])
    assert 2 <= sum(outcomes) <= len(outcomes) - 2
