"""Registers the shop ids. The entry point is a string, so nothing here imports the env."""

from envs.registry import register

FAMILY = "shop"
ENTRY_POINT = "envs.shop.env:ShopEnv"
SPLITS = ("train", "test")  # == catalogue.SPLITS (tested)


def register_shop_envs() -> None:
    register(
        "Shop-v0",
        ENTRY_POINT,
        family=FAMILY,
        splits=SPLITS,
        description="WebShop-style shopping: generated catalogue (1k products; num_products up to 100k), BM25 search "
        "(bm25s), WebShop's pages, actions and reward; kwargs num_products, observation_mode, max_steps, "
        "query_candidates, item_names, buy_needs_options",
    )
    register(
        "ShopChoice-v0",
        ENTRY_POINT,
        family=FAMILY,
        splits=SPLITS,
        description="Shop-v0 with the action space of WebShop's IL/RL baselines, for policies that choose among "
        "listed actions: results as click[item - <title>], buy now listed once every option is chosen",
        item_names=True,
        buy_needs_options=True,
    )
