"""ShopEnv: WebShop's page flow, actions, observations, step limit and the scripted expert."""

from __future__ import annotations

import random

import pytest

import envs
from envs.shop.env import ShopEnv
from envs.shop.queries import query_candidates


@pytest.fixture
def env():
    return ShopEnv()


def start(env, index=0, split="test"):
    obs, info = env.reset(seed=0, options={"split": split, "index": index})
    return obs, info


def go_to_target(env):
    """Search with the instruction and open the target (it is on the first page for goal 0)."""
    env.step(f"search[{query_candidates(env.goal.instruction)[0]}]")
    assert env.goal.asin in env.state.page_results()
    return env.step(f"click[{env.goal.asin}]")


def test_search_page_lists_query_candidates_from_the_instruction_only(env):
    obs, info = start(env)
    assert obs == f"WebShop [SEP] Instruction: [SEP] {env.goal.instruction} [SEP] Search"
    assert info["admissible_actions"] == [f"search[{q}]" for q in query_candidates(env.goal.instruction)]
    assert query_candidates(
        "i need gluten free protein bars with flavor: mint, and count: 6 count, and price lower than 30.00 dollars"
    ) == (
        "i need gluten free protein bars with flavor: mint, and count: 6 count",
        "i need gluten free protein bars",
        "gluten free protein bars",
    )
    # An attribute starting with "with" is not the option clause.
    assert query_candidates("i want with storage bookshelf with finish: oak")[1] == "i want with storage bookshelf"
    free = ShopEnv(query_candidates=False)
    assert start(free)[1]["admissible_actions"] == []


def test_results_page_shows_ten_of_the_top_50_with_paging(env):
    start(env)
    obs, reward, terminated, truncated, info = env.step("search[coffee table]")
    assert (reward, terminated, truncated, info["action_valid"]) == (0.0, False, False, True)
    assert "Page 1 (Total results: 50) [SEP] Next > [SEP]" in obs
    first = env.state.page_results()
    assert len(first) == 10 and all(f"click[{a.lower()}]" in info["admissible_actions"] for a in first)
    assert "click[< prev]" not in info["admissible_actions"]
    product = env.catalogue.by_asin[first[0]]
    assert f"{first[0]} [SEP] {product.title} [SEP] {product.price_tag}" in obs
    obs, *_, info = env.step("click[Next >]")  # arguments are case-insensitive, as in WebShop
    assert "Page 2 (Total results: 50) [SEP] < Prev [SEP] Next >" in obs and env.state.page_results()[0] not in first
    for _ in range(3):
        env.step("click[next >]")
    obs, *_, info = env.step("click[next >]")
    assert env.state.page_no == 5 and "Invalid action" in obs and info["action_valid"] is False  # no page 6
    obs, *_ = env.step("click[< prev]")
    assert "Page 4 (Total results: 50)" in obs


def test_item_page_options_sub_pages_and_back(env):
    start(env)
    obs, *_, info = go_to_target(env)
    product = env.catalogue.by_asin[env.goal.asin]
    assert f"{product.title} [SEP] Price: {product.price_tag} [SEP] Rating: {product.rating}" in obs
    assert obs.endswith("Description [SEP] Features [SEP] Reviews [SEP] Buy Now")
    group, values = product.options[0]
    assert f"{group} [SEP] " + " [SEP] ".join(values) in obs
    assert info["admissible_actions"][:2] == ["click[back to search]", "click[< prev]"]
    assert [f"click[{v}]" for v in values] == info["admissible_actions"][2 : 2 + len(values)]
    env.step(f"click[{values[0]}]")
    env.step(f"click[{values[1]}]")  # a later value of the group replaces the earlier one
    assert env.state.options == {group: values[1]}
    obs, *_ = env.step("click[features]")
    assert obs.endswith(" [SEP] ".join(product.bullets)) and "< Prev" in obs
    obs, *_ = env.step("click[< prev]")
    assert env.state.page == "item" and env.state.options == {group: values[1]}  # kept across the sub page
    obs, *_ = env.step("click[description]")
    assert obs.endswith(product.description)
    env.step("click[< prev]")
    obs, *_ = env.step("click[< prev]")  # item -> results: WebShop forgets the options there
    assert env.state.page == "results" and env.state.options == {}
    obs, *_, info = env.step("click[back to search]")
    assert obs.startswith("WebShop [SEP] Instruction:")


def test_buying_ends_the_episode_with_webshops_reward(env):
    start(env)
    go_to_target(env)
    for group, value in env.goal.chosen:
        env.step(f"click[{value}]")
    obs, reward, terminated, truncated, info = env.step("click[buy now]")
    assert (reward, terminated, truncated, info["won"]) == (1.0, True, False, True)
    assert obs.endswith("Your score (min 0.0, max 1.0) [SEP] 1.0")
    assert info["reward_parts"]["type_factor"] == 1.0 and info["admissible_actions"] == []


def test_buying_without_options_scores_the_other_terms(env):
    start(env)
    go_to_target(env)
    obs, reward, terminated, _, info = env.step("click[buy now]")
    g = env.goal
    assert terminated and not info["won"]
    assert reward == pytest.approx((len(g.attributes) + 1) / (len(g.attributes) + len(g.options) + 1))


@pytest.mark.parametrize(
    "action, why",
    [
        ("buy now", "is not an action"),
        ("click[buy now]", "search page has no buttons"),
        ("search[]", "query is empty"),
        ("search[" + "x" * 600 + "]", "longer than 500"),
        ("click[search]", "search page has no buttons"),
    ],
)
def test_bad_actions_on_the_search_page_are_explained_and_change_nothing(env, action, why):
    obs0, _ = start(env)
    obs, reward, terminated, truncated, info = env.step(action)
    assert why in obs and obs.startswith("Invalid action:") and obs.endswith(obs0)
    assert (reward, terminated, info["action_valid"], env.state.page) == (0.0, False, False, "search")


def test_bad_clicks_elsewhere_are_explained_and_change_nothing(env):
    start(env)
    env.step("search[coffee table]")
    before = (env.state.page, env.state.page_no)
    obs, *_, info = env.step("search[chair]")
    assert "only works on the search page" in obs and not info["action_valid"]
    obs, *_, info = env.step("click[b0zzzzzzzz]")
    assert "not on this page" in obs and not info["action_valid"]
    obs, *_, info = env.step("click[buy now]")  # no buying from the results page
    assert not info["action_valid"] and (env.state.page, env.state.page_no) == before


def test_step_limit_truncates_without_reward():
    env = ShopEnv(max_steps=3)
    start(env)
    env.step("search[coffee table]")
    env.step("click[next >]")
    obs, reward, terminated, truncated, info = env.step("click[next >]")
    assert (reward, terminated, truncated) == (0.0, False, True)
    assert ShopEnv().max_steps == 15


def test_text_rich_marks_clickables_and_choices():
    env = ShopEnv(observation_mode="text_rich")
    start(env)
    obs, *_ = env.step(f"search[{query_candidates(env.goal.instruction)[0]}]")
    assert "[button] Back to Search [button_]" in obs and "[button] Next > [button_]" in obs
    assert f"\n[button] {env.goal.asin} [button_]" in obs
    env.step(f"click[{env.goal.asin}]")
    group, value = env.goal.chosen[0]
    obs, *_ = env.step(f"click[{value}]")
    assert obs.startswith(f"You have clicked {value}.\n")
    assert f"  [clicked button] {value} [clicked button_]" in obs and "[button] Buy Now [button_]" in obs
    obs, *_ = env.step("click[< prev]")
    assert f"[clicked button] {env.goal.asin} [clicked button_]" in obs  # a visited product


def test_item_names_list_titles_and_both_forms_work():
    env = ShopEnv(item_names=True)
    start(env)
    _, *_, info = env.step(f"search[{query_candidates(env.goal.instruction)[0]}]")
    title = env.catalogue.by_asin[env.goal.asin].title.lower()
    assert f"click[item - {title}]" in info["admissible_actions"]
    assert not any(a == f"click[{env.goal.asin.lower()}]" for a in info["admissible_actions"])
    env.step(f"click[item - {title}]")
    assert env.state.page == "item" and env.state.asin == env.goal.asin
    env.step("click[< prev]")
    env.step(f"click[{env.goal.asin}]")
    assert env.state.asin == env.goal.asin


def test_constructor_and_reset_arguments_are_validated():
    with pytest.raises(ValueError, match="observation_mode"):
        ShopEnv(observation_mode="html")
    with pytest.raises(ValueError, match="max_steps"):
        ShopEnv(max_steps=0)
    with pytest.raises(ValueError, match="num_products"):
        ShopEnv(num_products=2)
    env = ShopEnv()
    with pytest.raises(ValueError, match="index"):
        env.reset(options={"split": "test", "index": 10**6})
    with pytest.raises(ValueError, match="split"):
        env.reset(options={"split": "dev"})
    with pytest.raises(ValueError, match="unknown reset options"):
        env.reset(options={"goal": 3})


def test_seed_draws_the_goal_and_info_names_it():
    env = ShopEnv()
    _, a = env.reset(seed=5)
    _, b = env.reset(seed=5)
    _, c = env.reset(seed=6)
    assert a["task"] == b["task"] and a["task_name"] == b["task_name"] and a["task_name"] != c["task_name"]
    assert a["task_name"].startswith("train/") and a["task_type"] in ("fashion", "makeup", "electronics", "furniture", "food")


def test_expert_scores_one_on_500_goals_and_random_scores_far_less():
    env = envs.make("agora/Shop-v0").unwrapped
    goals = [("train", i) for i in range(300)] + [("test", i) for i in range(200)]
    rewards, steps = [], 0
    for split, index in goals:
        env.reset(options={"split": split, "index": index})
        for _ in range(env.max_steps):
            _, reward, terminated, truncated, info = env.step(env.expert_action())
            steps += 1
            assert info["action_valid"]
            if terminated or truncated:
                break
        assert terminated and info["won"], (split, index)
        rewards.append(reward)
    assert sum(rewards) / len(rewards) == 1.0

    rng, random_rewards = random.Random(0), []
    for index in range(100):
        _, info = env.reset(options={"split": "test", "index": index})
        while True:
            _, reward, terminated, truncated, info = env.step(rng.choice(info["admissible_actions"]))
            if terminated or truncated:
                break
        random_rewards.append(reward)
    assert sum(random_rewards) / len(random_rewards) < 0.4


def test_buy_needs_options_lists_buy_now_only_once_every_group_is_chosen():
    env = ShopEnv(buy_needs_options=True)
    start(env)
    _, *_, info = go_to_target(env)
    assert "click[buy now]" not in info["admissible_actions"]
    for group, value in env.goal.chosen:
        assert "click[buy now]" not in info["admissible_actions"]
        _, *_, info = env.step(f"click[{value}]")
    assert info["admissible_actions"][-1] == "click[buy now]"
    free = ShopEnv()
    start(free)
    assert go_to_target(free)[-1]["admissible_actions"][-1] == "click[buy now]"
