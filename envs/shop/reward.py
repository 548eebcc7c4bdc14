"""WebShop's reward as a pure function of (purchased product, chosen options, price, goal).

    reward = (attribute matches + option matches + [price <= price_upper])
             / (goal attributes + goal options + 1)  x  type factor

Each piece follows WebShop's ``web_agent_site/engine/goal.py``:

- an attribute matches when some product attribute has a fuzzy token-set ratio above 85 with it,
  else when it is a substring of the lower-cased title, bullet points or description;
- options are colour-normalised (the first base colour contained in the text) and then matched by
  the same fuzzy ratio above 85;
- the type factor starts at 1; it is 0.5 unless the query matches, at least 2 product-category
  levels overlap, or the title-noun overlap exceeds 0.2; then 0.1 if the overlap is below 0.1 and
  0 if it is 0. The overlap is |purchased nouns & goal nouns| / |goal nouns| (0.2 when the goal has
  no nouns). WebShop tags the nouns with spaCy; here they are stored with each product.

The fuzzy ratio is thefuzz's (which WebShop calls): rapidfuzz's token-set ratio on lower-cased,
punctuation-stripped text, rounded to an integer, so 85.4 does not count and 85.6 does.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterable, Sequence

from rapidfuzz import fuzz, utils

FUZZY_THRESHOLD = 85
NO_PRICE_LIMIT = 1_000_000.0  # WebShop's price_upper when the instruction names no price

# Base colours, alphabetical: normalisation keeps the first one found, as WebShop's does.
BASE_COLORS = (
    "beige", "black", "blue", "brown", "burgundy", "caramel", "charcoal", "chocolate", "coral", "cream",
    "espresso", "gold", "gray", "green", "grey", "honey", "ivory", "khaki", "lavender", "lemon", "maroon",
    "mint", "mocha", "navy", "nude", "olive", "orange", "pink", "plum", "purple", "red", "rose", "sand",
    "silver", "tan", "teal", "turquoise", "walnut", "white", "yellow",
)


@dataclass(frozen=True)
class RewardParts:
    reward: float
    type_factor: float
    attribute_matches: int
    option_matches: int
    price_ok: bool
    query_match: bool
    category_match: bool
    title_score: float


def fuzzy_ratio(a: str, b: str) -> int:
    """thefuzz's ``token_set_ratio``: 0-100, on processed text, rounded."""
    return int(round(fuzz.token_set_ratio(a, b, processor=utils.default_process)))


@functools.lru_cache(maxsize=1 << 16)  # generation and rewards compare the same few phrases over and over
def fuzzy_match(a: str, b: str) -> bool:
    return fuzzy_ratio(a, b) > FUZZY_THRESHOLD


def normalize_color(text: str) -> str:
    """The first base colour the text contains, else the text itself ("navy blue" -> "blue")."""
    for color in BASE_COLORS:
        if color in text:
            return color
    return text


def type_factor(
    purchased_query: str,
    purchased_category: str,
    purchased_nouns: Iterable[str],
    goal_query: str,
    goal_category: str,
    goal_nouns: Iterable[str],
) -> tuple[float, bool, bool, float]:
    """(factor, query_match, category_match, title_score)."""
    query_match = purchased_query == goal_query
    levels = lambda path: {level.strip() for level in path.split("›")}  # noqa: E731
    category_match = len(levels(purchased_category) & levels(goal_category)) >= 2
    goal_set = {n.lower() for n in goal_nouns}
    bought_set = {n.lower() for n in purchased_nouns}
    title_score = len(bought_set & goal_set) / len(goal_set) if goal_set else 0.2
    factor = 1.0 if (query_match or category_match or title_score > 0.2) else 0.5
    if title_score < 0.1:
        factor = 0.1
    if title_score == 0.0:
        factor = 0.0
    return factor, query_match, category_match, title_score


def attribute_matches(goal_attributes: Sequence[str], attributes: Sequence[str], title: str, bullets: Sequence[str], description: str) -> int:
    """How many goal attributes the product has (fuzzy match, else a substring of its texts)."""
    texts = (title.lower(), " ".join(bullets).lower(), description.lower())
    count = 0
    for goal_attr in goal_attributes:
        if any(fuzzy_match(attr, goal_attr) for attr in attributes) or any(goal_attr in t for t in texts):
            count += 1
    return count


def option_matches(goal_options: Sequence[str], chosen_options: Iterable[str]) -> int:
    """How many goal options some chosen option matches, both colour-normalised first."""
    chosen = [normalize_color(o) for o in chosen_options]
    return sum(any(fuzzy_match(c, normalize_color(g)) for c in chosen) for g in goal_options)


def purchase_reward(product, chosen_options: dict[str, str], goal) -> RewardParts:
    """WebShop's reward for buying ``product`` (a ``catalogue.Product``) with ``chosen_options``
    ({group: value}) for ``goal`` (a ``catalogue.Goal``). The price paid is the product's."""
    factor, query_match, category_match, title_score = type_factor(
        product.query, product.product_category, product.type_nouns, goal.query, goal.product_category, goal.type_nouns
    )
    n_attr = attribute_matches(goal.attributes, product.attributes, product.title, product.bullets, product.description)
    n_opt = option_matches(goal.options, list(chosen_options.values()))
    price_ok = product.price <= goal.price_upper
    total = (n_attr + n_opt + int(price_ok)) / (len(goal.attributes) + len(goal.options) + 1)
    return RewardParts(total * factor, factor, n_attr, n_opt, price_ok, query_match, category_match, title_score)
