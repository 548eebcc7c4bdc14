"""The three inventory interfaces: numeric, text and beer-game multi-agent."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test

import envs
from envs.inventory.baselines import BaseStockPolicy, expert_policy, sample_demand, simulate, zero_policy
from envs.inventory.config import get_config
from envs.inventory.multi_agent import InventoryParallelEnv
from envs.inventory.numeric_env import InventoryEnv
from envs.inventory.text_env import InventoryTextEnv
from envs.inventory.wording import parse_orders


def test_the_named_configs_are_registered():
    ids = {s.id: s for s in envs.list_envs(family="inventory")}
    assert ids["agora/InvManagement-v1"].kwargs["config"] == "inv-management-v1"
    assert ids["agora/LostSales-v0"].kwargs["config"].startswith("lost-sales-")
    assert ids["agora/InventoryBeerGame-v0"].kind == "multi"
    assert {s.interface for s in ids.values()} == {"numeric", "text"}
    assert len(ids) <= 12


# --- numeric ----------------------------------------------------------------------------


def test_numeric_actions_map_to_whole_units_and_out_of_range_values_are_clipped():
    env = InventoryEnv("inv-management-v1")
    env.reset(seed=0)
    assert env.caps.tolist() == [100, 90, 80]
    assert env.action_to_orders([0.5, 1.0, 0.0]).tolist() == [50, 90, 0]
    assert env.action_to_orders([7.0, -3.0, 0.25]).tolist() == [100, 0, 20]
    assert env.action_to_orders(np.array([1, 0, 1])).tolist() == [100, 0, 80]  # integers are numbers too
    assert env.action_to_orders(env.orders_to_action([29, 37, 3])).tolist() == [29, 37, 3]
    assert env.action_to_orders([np.nan, 0.5, 0.5]) is None


def test_numeric_observation_matches_its_labels():
    env = InventoryEnv("inv-management-v1")
    obs, _ = env.reset(seed=0)
    assert len(env.observation_labels) == obs.shape[0] == 3 + (3 + 5 + 10) + 1 + 1
    assert obs[:3].tolist() == [100, 100, 200] and obs[-1] == 1.0
    obs, *_ = env.step(env.orders_to_action([20, 0, 0]))
    assert obs[env.observation_labels.index("on_way[distributor->retailer][+2]")] == 20


def test_same_seed_gives_the_same_demand_whatever_the_actions():
    a, b = InventoryEnv("lost-sales-p9-L2"), InventoryEnv("lost-sales-p9-L2")
    a.reset(seed=11)
    b.reset(seed=11)
    for _ in range(5):
        a.step(np.array([0.0], dtype=np.float32))
        b.step(np.array([1.0], dtype=np.float32))
    assert np.array_equal(a.chain.demand_trace, b.chain.demand_trace)


def episode_return(env, act, seed: int) -> tuple[float, bool]:
    """Total reward and final ``won`` of one episode; works for the numeric and the text env."""
    env.reset(seed=seed)
    total, done, info = 0.0, False, {}
    while not done:
        _, reward, terminated, truncated, info = env.step(act(env))
        total += reward
        done = terminated or truncated
    return total, info["won"]


@pytest.mark.parametrize("config", ["inv-management-v1", "lost-sales-p9-L2"])
def test_numeric_expert_beats_doing_nothing_by_a_wide_margin(config):
    env = InventoryEnv(config)
    expert, expert_won = episode_return(env, lambda e: e.expert_action(), seed=5)
    idle, idle_won = episode_return(env, lambda e: np.zeros(e.action_space.shape, dtype=np.float32), seed=5)
    assert expert_won and not idle_won
    assert expert - idle > 0.5 * abs(idle) + 100


def test_base_stock_search_beats_zero_and_fixed_levels_on_fresh_demand():
    cfg = get_config("inv-management-v1")
    demand = sample_demand(cfg, np.random.default_rng(99), batch=100)
    tuned = simulate(cfg, expert_policy(cfg), demand).mean()
    assert tuned > simulate(cfg, zero_policy, demand).mean() + 300
    assert tuned > simulate(cfg, BaseStockPolicy((40, 80, 120, 0)), demand).mean()


# --- text -------------------------------------------------------------------------------------


CAPS, LABELS = [100, 90, 80], ["a->b", "c->a", "d->c"]


@pytest.mark.parametrize("text, expected", [
    ("order 10 20 30", [10, 20, 30]),
    ("ORDER: 10, 20, 30.", [10, 20, 30]),
    ("  10 20 30 ", [10, 20, 30]),
    ("orders 0 0 0", [0, 0, 0]),
    ("order 500 20 30", [100, 20, 30]),
    ("order 99999999999999999999999 0 0", [100, 0, 0]),
])
def test_parse_orders_accepts(text, expected):
    quantities, note = parse_orders(text, CAPS, LABELS)
    assert quantities == expected
    assert ("lowered" in note) == (expected[0] == 100)


@pytest.mark.parametrize("text", [
    "", "order", "order ten", "order 10 20", "order 10 20 30 40", "order -5 2 3", "order 3.5 1 1",
    "order \u0663 1 1", "buy 10 20 30", "x" * 10_000,
])
def test_parse_orders_rejects_with_a_reason(text):
    quantities, note = parse_orders(text, CAPS, LABELS)
    assert quantities is None
    assert note.startswith("Invalid action:") and "a->b (max 100)" in note


def test_an_invalid_text_action_orders_nothing_and_says_why():
    env = InventoryTextEnv("inv-management-v1")
    env.reset(seed=0)
    obs, _, _, _, info = env.step("please buy lots")
    assert info["action_valid"] is False
    assert "'please buy lots'" in obs and "Nothing was ordered" in obs
    assert env.chain.pipeline[0].sum() == 0 and env.chain.t == 1  # the period passed, nothing on the way


def test_a_valid_text_action_is_applied_and_oversized_orders_are_capped():
    env = InventoryTextEnv("inv-management-v1")
    env.reset(seed=0)
    obs, _, _, _, info = env.step("order 20 500 0")
    assert info["action_valid"] is True and "lowered" in obs
    assert env.chain.pipeline[0, 0, 2] == 20 and env.chain.pipeline[0, 1, 4] == 90
    assert "20 arriving in 2 periods" in obs


def test_text_observation_reports_stock_demand_and_costs():
    env = InventoryTextEnv("lost-sales-p9-L2")
    obs, info = env.reset(seed=3)
    assert "store: 15 on hand" in obs and "minimize total cost" in info["task"]
    obs, *_ = env.step("order 4")
    demand = int(env.chain.demand_trace[0, 0, 0])
    assert f"customers wanted {demand} new units" in obs and "Cost" in obs and "holding" in obs
    assert "4 arriving next period" in obs
    assert info["admissible_actions"][0] == "order 0"


@pytest.mark.parametrize("config", ["inv-management-v1", "lost-sales-p19-L1"])
def test_text_expert_wins_and_beats_doing_nothing(config):
    env = InventoryTextEnv(config)
    for seed in (0, 1):
        expert, expert_won = episode_return(env, lambda e: e.expert_action(), seed)
        idle, idle_won = episode_return(env, lambda e: "order " + " ".join(["0"] * e.config.n_edges), seed)
        assert expert_won and not idle_won
        assert expert - idle > 0.5 * abs(idle) + 100


def test_won_is_only_reported_at_the_end():
    env = InventoryTextEnv("lost-sales-p9-L1", periods=5)
    env.reset(seed=0)
    wins = [env.step(env.expert_action())[4]["won"] for _ in range(5)]
    assert wins == [False] * 4 + [True]


# --- multi-agent ----------------------------------------------------------------------------------


def test_beer_game_passes_the_parallel_api_test():
    parallel_api_test(InventoryParallelEnv(), num_cycles=100)


def test_each_agent_sees_only_its_own_stage():
    env = InventoryParallelEnv("beer-game")
    observations, infos = env.reset(seed=0)
    assert env.possible_agents == ["retailer", "wholesaler", "distributor", "factory"]
    retailer = observations["retailer"]
    assert "You are the retailer" in retailer and "From wholesaler" in retailer
    assert "distributor" not in retailer and "factory" not in retailer
    observations, *_ = env.step({a: "order 4" for a in env.agents})
    assert "retailer ordered 4" in observations["wholesaler"]
    assert "customers wanted" in observations["retailer"]


def test_beer_game_expert_team_beats_ordering_nothing():
    def team_return(act, seed=3):
        env = InventoryParallelEnv()
        env.reset(seed=seed)
        total, infos = 0.0, {}
        while env.agents:
            _, rewards, _, _, infos = env.step(act(env))
            total += sum(rewards.values())
        return total, infos["retailer"]["won"]

    expert, expert_won = team_return(lambda e: e.expert_actions())
    idle, idle_won = team_return(lambda e: {a: "order 0" for a in e.agents})
    assert expert_won and not idle_won
    assert expert > idle + 0.5 * abs(idle)


def test_missing_or_bad_agent_actions_order_nothing():
    env = InventoryParallelEnv()
    env.reset(seed=0)
    observations, _, _, _, infos = env.step({"retailer": "order 5", "wholesaler": "lots please"})
    assert infos["retailer"]["action_valid"] and not infos["wholesaler"]["action_valid"]
    assert not infos["factory"]["action_valid"] and "No action was given" in observations["factory"]
    assert "'lots please'" in observations["wholesaler"]
    # Only the retailer's order went out: the wholesaler shipped it, due in 2 weeks.
    assert env.chain.pipeline[0, :, 1].tolist() == [5, 0, 0, 0]
    with pytest.raises(ValueError, match="unknown agents"):
        env.step({"brewery": "order 1"})


def test_shared_reward_gives_every_agent_the_team_total():
    env = InventoryParallelEnv(shared_reward=True)
    env.reset(seed=0)
    _, rewards, *_ = env.step({a: "order 4" for a in env.agents})
    assert len(set(rewards.values())) == 1
