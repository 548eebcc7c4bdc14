"""WebShop's reward on hand-built products and goals: every term, every type-factor case.
Expected values are worked out by hand from WebShop's formula (envs/shop/reward.py's docstring)."""

from __future__ import annotations

import dataclasses

import pytest

from envs.shop.catalogue import Goal, Product
from envs.shop.reward import (
    NO_PRICE_LIMIT,
    attribute_matches,
    fuzzy_match,
    normalize_color,
    option_matches,
    purchase_reward,
    type_factor,
)

BARS = "Grocery & Gourmet Food › Snack Foods › Bars"


def product(**changes) -> Product:
    base = Product(
        asin="B000000001",
        title="Aldermoor Protein Bars, Gluten free, High protein",
        query="protein bars",
        category="food",
        product_category=BARS,
        description="Bars for the trail.",
        bullets=("Gluten free, high protein", "Ships in recyclable packaging"),
        attributes=("gluten free", "high protein"),
        options=(("flavor", ("vanilla", "mint")), ("count", ("12 count", "24 count"))),
        price=20.99,
        rating="N.A.",
        reviews=(),
        type_nouns=("protein", "bars"),
        family=0,
    )
    return dataclasses.replace(base, **changes)


def goal(**changes) -> Goal:
    base = Goal(
        asin="B000000001",
        instruction="i need gluten free and high protein protein bars with count: 12 count, and flavor: vanilla, "
        "and price lower than 30.00 dollars",
        query="protein bars",
        category="food",
        product_category=BARS,
        name="Aldermoor Protein Bars, Gluten free, High protein",
        type_nouns=("protein", "bars"),
        attributes=("gluten free", "high protein"),
        chosen=(("count", "12 count"), ("flavor", "vanilla")),
        price_upper=30.0,
        split="train",
    )
    return dataclasses.replace(base, **changes)


RIGHT = {"flavor": "vanilla", "count": "12 count"}


def test_everything_right_is_one():
    parts = purchase_reward(product(), RIGHT, goal())
    assert parts.reward == 1.0
    assert (parts.attribute_matches, parts.option_matches, parts.price_ok, parts.type_factor) == (2, 2, True, 1.0)


def test_each_term_counts_once_in_the_sum_over_attributes_options_and_price():
    # 2 attributes + 2 options + price = 5 terms.
    assert purchase_reward(product(), {"flavor": "vanilla"}, goal()).reward == pytest.approx(4 / 5)
    assert purchase_reward(product(), {}, goal()).reward == pytest.approx(3 / 5)
    no_protein = product(attributes=("gluten free",), title="Aldermoor Bars", bullets=("Gluten free",))
    assert purchase_reward(no_protein, RIGHT, goal()).reward == pytest.approx(4 / 5)
    # Without goal options the denominator is attributes + 1.
    assert purchase_reward(product(), {}, goal(chosen=())).reward == 1.0


def test_price_boundary_is_inclusive():
    assert purchase_reward(product(price=30.0), RIGHT, goal()).price_ok is True
    assert purchase_reward(product(price=30.0), RIGHT, goal()).reward == 1.0
    over = purchase_reward(product(price=30.01), RIGHT, goal())
    assert over.price_ok is False and over.reward == pytest.approx(4 / 5)
    assert purchase_reward(product(price=999.99), RIGHT, goal(price_upper=NO_PRICE_LIMIT)).price_ok is True


def test_fuzzy_ratio_must_exceed_85_after_rounding_like_thefuzz():
    assert fuzzy_match("gluten-free", "Gluten Free")  # processed: lower-cased, punctuation to spaces
    assert fuzzy_match("free gluten", "gluten free")  # token sets ignore order
    assert fuzzy_match("high protein snack", "high protein")  # one token set inside the other: 100
    assert not fuzzy_match("abcdefghijklmnopq123", "abcdefghijklmnopq456")  # exactly 85.0
    assert fuzzy_match("abcdef1", "abcdef2")  # 85.7 -> 86
    assert not fuzzy_match("a" * 35 + "x" * 6, "a" * 35 + "y" * 6)  # 85.37 rounds to 85


def test_attribute_falls_back_to_a_substring_of_title_bullets_or_description():
    args = dict(attributes=("soft",), title="Bars", bullets=("Tasty",), description="Good.")
    assert attribute_matches(["low sodium"], **args) == 0
    assert attribute_matches(["low sodium"], **{**args, "title": "Bars, LOW SODIUM"}) == 1
    assert attribute_matches(["low sodium"], **{**args, "bullets": ("Tasty", "Low sodium recipe")}) == 1
    assert attribute_matches(["low sodium"], **{**args, "description": "A low sodium bar."}) == 1
    # Fuzzy on attributes, but exact substring only on the texts.
    assert attribute_matches(["low sodium"], **{**args, "description": "Low-sodium bar."}) == 0
    assert attribute_matches(["low sodium"], **{**args, "attributes": ("low-sodium",)}) == 1


def test_options_are_colour_normalised_before_matching():
    assert normalize_color("navy blue") == "blue"
    assert normalize_color("charcoal grey") == "charcoal"  # the first base colour alphabetically
    assert normalize_color("vanilla") == "vanilla"
    assert not fuzzy_match("royal blue", "navy blue")
    assert option_matches(["navy blue"], ["royal blue"]) == 1  # both "blue"
    assert option_matches(["light grey"], ["charcoal grey"]) == 0  # "grey" vs "charcoal"
    assert option_matches(["navy blue", "large"], ["blue", "small"]) == 1
    assert option_matches(["large"], ["x-large"]) == 1  # "x large" holds "large": WebShop's fuzzy rule


def test_option_reward_in_the_total():
    colours = product(options=(("color", ("royal blue", "black")),))
    g = goal(chosen=(("color", "navy blue"),), attributes=("gluten free",))
    assert purchase_reward(colours, {"color": "royal blue"}, g).reward == 1.0
    assert purchase_reward(colours, {"color": "black"}, g).reward == pytest.approx(2 / 3)


# --- the type factor ------------------------------------------------------------------------
SIX_NOUNS = ("a", "b", "c", "d", "e", "f")
ELEVEN_NOUNS = tuple("abcdefghijk")
OTHER = "Electronics › Computers › Tablets"


@pytest.mark.parametrize(
    "bought_query, bought_category, bought_nouns, goal_nouns, expected",
    [
        ("protein bars", BARS, ("protein", "bars"), ("protein", "bars"), 1.0),  # everything matches
        ("tablet", OTHER, ("bars", "x"), ("protein", "bars"), 1.0),  # title overlap 0.5 > 0.2 alone
        ("protein bars", OTHER, ("a",), SIX_NOUNS, 1.0),  # overlap 1/6 <= 0.2 but the query matches
        ("tablet", "Grocery & Gourmet Food › Snack Foods › Chips", ("a",), SIX_NOUNS, 1.0),  # 2 levels shared
        ("tablet", "Grocery & Gourmet Food › Drinks", ("a",), SIX_NOUNS, 0.5),  # 1 level only: no match
        ("tablet", OTHER, ("a",), SIX_NOUNS, 0.5),  # nothing matches, overlap 1/6 >= 0.1
        ("tablet", OTHER, ("a", "b"), tuple("abcde"), 1.0),  # overlap 2/5 = 0.4 > 0.2
        ("tablet", OTHER, ("a",), tuple("abcde"), 0.5),  # overlap exactly 0.2 is not above 0.2
        ("tablet", OTHER, ("a",), tuple("abcdefghij"), 0.5),  # overlap exactly 0.1 is not below 0.1
        ("protein bars", BARS, ("a",), ELEVEN_NOUNS, 0.1),  # overlap 1/11 < 0.1 overrides the matches
        ("protein bars", BARS, ("z",), ("protein", "bars"), 0.0),  # no shared noun: 0 whatever else
        ("protein bars", BARS, ("z",), (), 1.0),  # goal without nouns scores 0.2: the query decides
        ("tablet", OTHER, ("z",), (), 0.5),
    ],
)
def test_type_factor_cases(bought_query, bought_category, bought_nouns, goal_nouns, expected):
    factor, *_ = type_factor(bought_query, bought_category, bought_nouns, "protein bars", BARS, goal_nouns)
    assert factor == expected


def test_type_factor_multiplies_the_total():
    off_type = product(query="x", product_category=OTHER, type_nouns=("a",))
    parts = purchase_reward(off_type, RIGHT, goal(type_nouns=SIX_NOUNS))
    assert parts.type_factor == 0.5 and parts.reward == 0.5
    unrelated = product(type_nouns=("tablet",))
    assert purchase_reward(unrelated, RIGHT, goal()).reward == 0.0
