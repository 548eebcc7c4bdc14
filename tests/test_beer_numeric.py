"""The numeric beer game: the same game as the text one, run unchanged by SuperSuit and PettingZoo's tests."""

from __future__ import annotations

import numpy as np
import pytest
import supersuit
from pettingzoo.test import parallel_api_test

import envs
from envs.inventory.beer_numeric import BeerGameNumericEnv
from envs.testing import EnvContractError, check_env

TARGET, CAP = 20, 40  # a base-stock level for the observation-only policy below; the beer game's max order


def base_stock_from_observation(obs: np.ndarray) -> np.ndarray:
    """Order up to TARGET using only an agent's own observation vector (as a MARL policy would)."""
    on_hand, owes, _, on_way_now, on_way_next, owed_by, _ = obs
    position = on_hand - owes + on_way_now + on_way_next + owed_by
    return np.array([np.clip(TARGET - position, 0, CAP) / CAP], dtype=np.float32)


def test_same_game_as_the_text_beer_game_under_the_expert_team():
    numeric, text = BeerGameNumericEnv(), envs.make("agora/InventoryBeerGame-v0")
    numeric.reset(seed=3)
    text.reset(seed=3)
    for _ in range(36):
        text_actions = text.expert_actions()
        numeric_actions = numeric.expert_actions()
        assert {a: f"order {int(numeric.action_to_orders(a, x)[0])}" for a, x in numeric_actions.items()} == text_actions
        _, numeric_rewards, _, _, numeric_infos = numeric.step(numeric_actions)
        _, text_rewards, _, _, text_infos = text.step(text_actions)
        assert numeric_rewards == pytest.approx(text_rewards)
    assert numeric.agents == [] and text.agents == []
    assert numeric_infos["retailer"]["won"] and text_infos["retailer"]["won"]


def test_supersuit_vector_wrappers_run_it_unchanged_and_give_the_direct_returns():
    vec = supersuit.concat_vec_envs_v1(supersuit.pettingzoo_env_to_vec_env_v1(BeerGameNumericEnv()), 2,
                                       num_cpus=0, base_class="gymnasium")
    assert vec.num_envs == 8 and vec.observation_space.shape == (7,) and vec.action_space.shape == (1,)
    obs, _ = vec.reset(seed=10)  # copy i is seeded 10 + i
    totals = np.zeros(8)
    for period in range(36):
        obs, rewards, terms, truncs, _ = vec.step(np.stack([base_stock_from_observation(o) for o in obs]))
        totals += rewards
        assert terms.all() == (period == 35) and not truncs.any()

    direct = []
    for seed in (10, 11):
        env = BeerGameNumericEnv()
        observations, _ = env.reset(seed=seed)
        total = dict.fromkeys(env.possible_agents, 0.0)
        while env.agents:
            observations, rewards, _, _, _ = env.step({a: base_stock_from_observation(o) for a, o in observations.items()})
            for a, r in rewards.items():
                total[a] += r
        direct += list(total.values())
    assert totals == pytest.approx(direct, rel=1e-5)
    assert len(set(np.round(totals, 3))) > 2  # the copies saw different demand


def test_pettingzoo_parallel_api_test_and_the_contract_pass():
    parallel_api_test(BeerGameNumericEnv(), num_cycles=100)
    check_env("agora/InventoryBeerGameNumeric-v0")


def test_bad_orders_are_clipped_and_a_missing_agent_orders_nothing():
    env = BeerGameNumericEnv()
    env.reset(seed=0)
    assert env.action_to_orders("retailer", [np.nan]).tolist() == [0]
    assert env.action_to_orders("retailer", [7.0]).tolist() == [CAP]
    assert env.action_to_orders("retailer", [0.26]).tolist() == [10]  # rint(0.26 * 40)
    env.step({"retailer": np.array([0.25], dtype=np.float32)})  # the others are left out
    shipped = env.chain.pipeline[0, :, 1]  # what was shipped this period, one period closer now
    assert shipped.tolist() == [10, 0, 0, 0]
    with pytest.raises(ValueError, match="1 entries"):
        env.step({"retailer": np.zeros(2)})
    with pytest.raises(ValueError, match="unknown agents"):
        env.step({"brewery": np.zeros(1)})


def test_a_chain_whose_agents_have_different_link_counts_is_refused():
    with pytest.raises(ValueError, match="same number of supply links"):
        BeerGameNumericEnv(config="network")


def test_the_numeric_multi_agent_contract_catches_an_expert_outside_the_action_space():
    class OverOrdering(BeerGameNumericEnv):
        def expert_actions(self):
            return {a: np.array([2.0], dtype=np.float32) for a in self.agents}

    with pytest.raises(EnvContractError, match="expert plays valid actions"):
        check_env(OverOrdering)
