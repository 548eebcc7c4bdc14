"""A generated product catalogue and its goals, deterministic from (size, seed).

Products come in families of three of one product type: a *target* and two *distractors* that
share its type (same title nouns, query and category) but none of its attributes or option
values (checked with the reward's own matchers, so a distractor never earns an attribute or
option point for the target's goals). Every field WebShop's products carry is here: asin, title,
query, category, product_category ("A › B › C"), description, bullet points, attributes, option
groups, price and reviews, plus the type nouns the reward's type factor reads.

Each target gets ``GOALS_PER_TARGET`` goals in WebShop's synthetic form: an instruction naming
the type and some of the target's attributes, ``with <group>: <value>, and ...`` for one value of
each option group, and ``, and price lower than X dollars`` by WebShop's rule (the first four
multiples of 10 above the price, two drawn, the larger kept; no price text when fewer than two
exist). Families whose number is a multiple of 5 hold the held-out ("test") goals, the rest the
"train" goals: the same split on every machine.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass, field

from envs.shop import cache
from envs.shop import vocabulary as vocab
from envs.shop.reward import NO_PRICE_LIMIT, attribute_matches, fuzzy_match, normalize_color

FAMILY = 3  # a target and two distractors
GOALS_PER_TARGET = 3
TEST_EVERY = 5  # family % TEST_EVERY == 0 -> held-out goals
SPLITS = ("train", "test")
PRICE_STEPS = tuple(10.0 * i for i in range(1, 100))  # WebShop's PRICE_RANGE
CATEGORY_SEP = " › "


@dataclass(frozen=True)
class Product:
    asin: str
    title: str
    query: str
    category: str
    product_category: str
    description: str
    bullets: tuple[str, ...]
    attributes: tuple[str, ...]
    options: tuple[tuple[str, tuple[str, ...]], ...]  # (group, values), in display order
    price: float
    rating: str
    reviews: tuple[tuple[int, str], ...]  # (stars, text)
    type_nouns: tuple[str, ...]
    family: int

    @property
    def price_tag(self) -> str:
        return f"${self.price:.2f}"


@dataclass(frozen=True)
class Goal:
    asin: str  # the target
    instruction: str
    query: str
    category: str
    product_category: str
    name: str  # the target's title
    type_nouns: tuple[str, ...]
    attributes: tuple[str, ...]
    chosen: tuple[tuple[str, str], ...]  # (group, value) the instruction asks for
    price_upper: float
    split: str

    @property
    def options(self) -> tuple[str, ...]:
        return tuple(value for _, value in self.chosen)


@dataclass
class Catalogue:
    size: int
    seed: int
    products: list[Product]
    goals: dict[str, list[Goal]]
    by_asin: dict[str, Product] = field(init=False)

    def __post_init__(self) -> None:
        self.by_asin = {p.asin: p for p in self.products}

    @functools.cached_property
    def search(self):
        from envs.shop.search import SearchIndex  # bm25s is only needed once someone searches

        return SearchIndex(self.products)

    def goal(self, split: str, index: int) -> Goal:
        if split not in self.goals:
            raise ValueError(f"split must be one of {list(self.goals)}, got {split!r}")
        goals = self.goals[split]
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(goals):
            raise ValueError(f"index must be an int in [0, {len(goals)}) for split {split!r}, got {index!r}")
        return goals[index]


@functools.lru_cache(maxsize=4)
def build_catalogue(size: int = 1_000, seed: int = 0) -> Catalogue:
    """The catalogue of ``size`` products, kept in memory (later envs of the same size share it)
    and, from 10k products, on disk with its search index (``envs.shop.cache``)."""
    _check(size, seed)
    path = cache.cache_path(size, seed)
    cached = cache.load(path) if path is not None and path.exists() else None
    if isinstance(cached, Catalogue) and (cached.size, cached.seed) == (size, seed):
        return cached
    catalogue = generate_catalogue(size, seed)
    if path is not None:
        catalogue.search  # noqa: B018 - build the index now, so it is cached too
        cache.save(path, catalogue)
    return catalogue


def _check(size: int, seed: int) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < FAMILY:
        raise ValueError(f"num_products must be an int >= {FAMILY}, got {size!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"catalogue seed must be an int, got {seed!r}")


def generate_catalogue(size: int, seed: int = 0) -> Catalogue:
    """Generate the catalogue (no cache)."""
    _check(size, seed)
    rng = random.Random(seed)
    products: list[Product] = []
    goals: dict[str, list[Goal]] = {s: [] for s in SPLITS}
    asins: set[str] = set()
    for family in range(math.ceil(size / FAMILY)):
        ptype = vocab.PRODUCT_TYPES[rng.randrange(len(vocab.PRODUCT_TYPES))]
        target = _product(rng, ptype, _new_asin(rng, asins), family)
        members = [target]
        for _ in range(FAMILY - 1):
            members.append(_distractor(rng, ptype, _new_asin(rng, asins), family, target))
        products += members
        split = "test" if family % TEST_EVERY == 0 else "train"
        goals[split] += [_goal(rng, target, ptype.name, split) for _ in range(GOALS_PER_TARGET)]
    products = products[:size]
    kept = {p.asin for p in products}
    goals = {s: [g for g in gs if g.asin in kept] for s, gs in goals.items()}
    return Catalogue(size, seed, products, goals)


# --- products -------------------------------------------------------------------------------


def _new_asin(rng: random.Random, taken: set[str]) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    while True:
        asin = "B0" + "".join(rng.choice(alphabet) for _ in range(8))
        if asin not in taken:
            taken.add(asin)
            return asin


@functools.lru_cache(maxsize=None)
def _attribute_pool(ptype: vocab.ProductType) -> tuple[str, ...]:
    # An attribute written inside the type's own name would match every product of the type.
    return tuple(a for a in vocab.ATTRIBUTES[ptype.category] if a not in ptype.name)


@functools.lru_cache(maxsize=None)
def options_clash(a: str, b: str) -> bool:
    """Whether choosing option ``a`` would earn the point for goal option ``b`` (or back)."""
    return fuzzy_match(normalize_color(a), normalize_color(b))


def _pick_options(rng: random.Random, pool: tuple[str, ...], k: int, avoid: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Up to ``k`` values of ``pool`` no two of which clash, none clashing with ``avoid``."""
    picked: list[str] = []
    for value in rng.sample(pool, len(pool)):
        if len(picked) == k:
            break
        if not any(options_clash(value, other) for other in (*picked, *avoid)):
            picked.append(value)
    return tuple(picked)


def _product(
    rng: random.Random,
    ptype: vocab.ProductType,
    asin: str,
    family: int,
    attribute_pool: tuple[str, ...] | None = None,
    avoid_options: dict[str, tuple[str, ...]] | None = None,
) -> Product:
    pool = attribute_pool if attribute_pool is not None else _attribute_pool(ptype)
    attributes = tuple(rng.sample(pool, min(len(pool), rng.randint(3, 4))))
    options = []
    for group in ptype.options:
        pool = vocab.OPTION_POOLS[group]
        # At most half a pool, so the family's distractors keep values the target lacks.
        values = _pick_options(rng, pool, rng.randint(2, min(5, len(pool) // 2)), (avoid_options or {}).get(group, ()))
        if values:
            options.append((group, values))
    brand = rng.choice(vocab.BRANDS)
    type_title = ptype.name.title().replace("'S", "'s")
    title = f"{brand} {type_title}, " + ", ".join(a.capitalize() for a in attributes)
    description = " ".join(
        (
            rng.choice(vocab.DESCRIPTION_OPENERS).format(type=ptype.name, brand=brand),
            f"It is {attributes[0]} and {attributes[1]}.",
            rng.choice(vocab.DESCRIPTION_CLOSERS),
        )
    )
    bullets = (
        ", ".join(attributes).capitalize(),
        *(a.capitalize() for a in attributes),
        *rng.sample(vocab.EXTRA_BULLETS, 2),
    )
    lo, hi = ptype.price
    price = math.floor(rng.uniform(lo, hi)) + 0.99
    reviews = tuple((stars, rng.choice(vocab.REVIEW_BODIES[stars])) for stars in (rng.randint(1, 5) for _ in range(rng.randint(0, 3))))
    rating = f"{sum(s for s, _ in reviews) / len(reviews):.1f}" if reviews else "N.A."
    return Product(
        asin=asin,
        title=title,
        query=ptype.query,
        category=ptype.category,
        product_category=CATEGORY_SEP.join(ptype.path),
        description=description,
        bullets=bullets,
        attributes=attributes,
        options=tuple(options),
        price=price,
        rating=rating,
        reviews=reviews,
        type_nouns=ptype.nouns,
        family=family,
    )


def _distractor(rng: random.Random, ptype: vocab.ProductType, asin: str, family: int, target: Product) -> Product:
    """Same type as ``target``; none of its attributes (not even by the substring rule) or options."""
    pool = tuple(a for a in _attribute_pool(ptype) if not any(fuzzy_match(a, t) for t in target.attributes))
    avoid = dict(target.options)
    for _ in range(100):
        product = _product(rng, ptype, asin, family, pool, avoid)
        if attribute_matches(target.attributes, product.attributes, product.title, product.bullets, product.description) == 0:
            return product
    raise RuntimeError(f"could not draw a distractor for {target.asin} (vocabulary too small?)")


# --- goals ------------------------------------------------------------------------------------


def price_upper(rng: random.Random, price: float) -> float:
    """WebShop's rule: of the first four multiples of 10 above the price, two drawn, the larger kept."""
    above = [p for p in PRICE_STEPS if p > price][:4]
    if len(above) < 2:
        return NO_PRICE_LIMIT
    return max(rng.sample(above, 2))


def _goal(rng: random.Random, target: Product, ptype_name: str, split: str) -> Goal:
    attributes = tuple(rng.sample(target.attributes, rng.choice((1, 2, 2, 3))))
    chosen = tuple(sorted((group, rng.choice(values)) for group, values in target.options))
    opener = rng.choice(vocab.INSTRUCTION_OPENERS)
    if rng.random() < 0.5:
        text = f"{opener} {' and '.join(attributes)} {ptype_name}"
    else:
        text = f"{opener} {ptype_name} that is {' and '.join(attributes)}"
    if chosen:
        text += " with " + ", and ".join(f"{group}: {value}" for group, value in chosen)
    upper = price_upper(rng, target.price)
    if upper != NO_PRICE_LIMIT:
        text += f", and price lower than {upper:.2f} dollars"
    return Goal(
        asin=target.asin,
        instruction=text,
        query=target.query,
        category=target.category,
        product_category=target.product_category,
        name=target.title,
        type_nouns=target.type_nouns,
        attributes=attributes,
        chosen=chosen,
        price_upper=upper,
        split=split,
    )
