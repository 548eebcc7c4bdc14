"""The generated catalogue, its goals and the BM25 search."""

from __future__ import annotations

import dataclasses
import random
import re

import numpy as np
import pytest

from envs.shop import vocabulary as vocab
from envs.shop import cache
from envs.shop.catalogue import (
    FAMILY, NO_PRICE_LIMIT, SPLITS, build_catalogue, generate_catalogue, options_clash, price_upper,
)
from envs.shop.registration import SPLITS as REGISTERED_SPLITS
from envs.shop.reward import attribute_matches, fuzzy_match, purchase_reward
from envs.shop.search import K1, B, TOP_N, document_text


TYPES = {t.query: t for t in vocab.PRODUCT_TYPES}


@pytest.fixture(scope="module")
def catalogue():
    return build_catalogue(1_000)


def test_registered_splits_are_the_catalogues():
    assert REGISTERED_SPLITS == SPLITS


def test_same_size_and_seed_give_the_same_catalogue_and_another_seed_does_not():
    fresh = generate_catalogue(300, 0)
    assert fresh.products == generate_catalogue(300, 0).products
    assert fresh.goals == generate_catalogue(300, 0).goals
    assert fresh.products != generate_catalogue(300, 1).products
    # A smaller catalogue is a prefix of a larger one with the same seed.
    assert build_catalogue(1_000).products[:300] == fresh.products


def test_products_have_webshops_fields(catalogue):
    assert len(catalogue.products) == 1_000
    assert len({p.asin for p in catalogue.products}) == 1_000
    assert {p.category for p in catalogue.products} == set(vocab.CATEGORIES)
    for p in catalogue.products:
        assert re.fullmatch(r"B0[0-9A-Z]{8}", p.asin)
        assert p.title and p.description and p.bullets and p.attributes and p.options and p.query
        assert len(p.product_category.split(" › ")) >= 3
        assert p.price > 0 and p.price_tag == f"${p.price:.2f}"
        assert p.type_nouns
        assert [group for group, _ in p.options] == list(TYPES[p.query].options)


def test_attribute_pools_hold_no_two_matching_entries():
    for pool in vocab.ATTRIBUTES.values():
        for i, a in enumerate(pool):
            assert not any(fuzzy_match(a, b) or a in b or b in a for b in pool[i + 1 :]), a


def test_option_pools_hold_no_two_clashing_values():
    for group, pool in vocab.OPTION_POOLS.items():
        for i, a in enumerate(pool):
            assert not any(options_clash(a, b) for b in pool[i + 1 :]), (group, a)


def test_distractors_share_the_type_but_no_attribute_or_option_of_their_target(catalogue):
    for start in range(0, 999, FAMILY):
        target, *distractors = catalogue.products[start : start + FAMILY]
        for d in distractors:
            assert (d.query, d.product_category, d.type_nouns) == (target.query, target.product_category, target.type_nouns)
            assert attribute_matches(target.attributes, d.attributes, d.title, d.bullets, d.description) == 0
            for (group, values), (d_group, d_values) in zip(target.options, d.options):
                assert group == d_group
                assert not any(options_clash(a, b) for a in values for b in d_values)
        for group, values in target.options:  # the target's own values are told apart too
            assert not any(options_clash(a, b) for i, a in enumerate(values) for b in values[i + 1 :])


def test_distractors_score_below_one_on_their_targets_goals(catalogue):
    for g in catalogue.goals["test"][:60]:
        target = catalogue.by_asin[g.asin]
        assert purchase_reward(target, dict(g.chosen), g).reward == 1.0
        for d in catalogue.products[target.family * FAMILY + 1 : target.family * FAMILY + FAMILY]:
            best = {group: values[0] for group, values in d.options}
            parts = purchase_reward(d, best, g)
            assert parts.attribute_matches == 0 and parts.option_matches == 0 and parts.reward < 1.0


def test_price_threshold_follows_webshops_rule():
    rng = random.Random(0)
    draws = {price_upper(rng, 23.99) for _ in range(300)}
    assert draws == {40.0, 50.0, 60.0}  # the larger of two of 30, 40, 50, 60: never 30
    assert price_upper(rng, 979.99) == 990.0  # 980 and 990 are both drawn
    assert price_upper(rng, 985.0) == NO_PRICE_LIMIT  # only 990 lies above
    assert price_upper(rng, 30.0) in (50.0, 60.0, 70.0)  # strictly above: 40, 50, 60, 70


def test_goal_instructions_follow_webshops_form(catalogue):
    goals = catalogue.goals["train"] + catalogue.goals["test"]
    assert len(catalogue.goals["train"]) >= 500 and len(catalogue.goals["test"]) >= 150
    for g in goals:
        target = catalogue.by_asin[g.asin]
        assert set(g.attributes) <= set(target.attributes)
        assert [group for group, _ in g.chosen] == sorted(group for group, _ in target.options)
        for group, value in g.chosen:
            assert value in dict(target.options)[group]
            assert f"{group}: {value}" in g.instruction
        if g.price_upper == NO_PRICE_LIMIT:
            assert "price lower than" not in g.instruction and target.price > 980
        else:
            assert g.instruction.endswith(f", and price lower than {g.price_upper:.2f} dollars")
            assert target.price < g.price_upper <= target.price + 40
    assert any(g.price_upper == NO_PRICE_LIMIT for g in goals)


def test_held_out_goals_are_about_other_products_than_training_goals(catalogue):
    train = {g.asin for g in catalogue.goals["train"]}
    test = {g.asin for g in catalogue.goals["test"]}
    assert train and test and not train & test


def test_search_indexes_webshops_fields_with_lucene_parameters(catalogue):
    index = catalogue.search
    assert (index.retriever.k1, index.retriever.b, index.retriever.method) == (K1, B, "lucene")
    p = dataclasses.replace(
        catalogue.products[0], title="T", description="D", bullets=("First", "Second"),
        options=(("color", ("black", "red")), ("size", ("small",))),
    )
    assert document_text(p) == "t d first color: black, red, and size: small"


def test_search_returns_the_top_50_and_finds_the_target_of_most_instructions(catalogue):
    index = catalogue.search
    assert len(index.search("coffee table")) == TOP_N
    assert index.search("zzzz qqqq") == () and index.search("the and of") == ()
    first = [index.search(g.instruction.split(", and price")[0])[:1] == (g.asin,) for g in catalogue.goals["test"]]
    assert sum(first) / len(first) > 0.7
    exact = catalogue.products[5]
    assert index.search(exact.title)[0] == exact.asin
    assert index.search("coffee table") == index.search("coffee table")  # deterministic, ties included


def test_search_scores_are_bm25_by_hand():
    """Three documents, one query word: Lucene BM25 with k1=0.9, b=0.4 worked out by hand."""
    import math

    from envs.shop.search import SearchIndex

    class Doc:
        def __init__(self, asin, title):
            self.asin, self.title, self.description, self.bullets, self.options = asin, title, "", ("",), ()

    docs = [Doc("A", "red red chair"), Doc("B", "red chair table lamp"), Doc("C", "blue table")]
    index = SearchIndex(docs)
    lengths, avg = [3, 4, 2], 3.0
    idf = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
    expected = [idf * tf / (tf + K1 * (1 - B + B * n / avg)) for tf, n in zip([2, 1, 0], lengths)]
    scores = index.retriever.get_scores(["red"])
    assert scores == pytest.approx(expected, rel=1e-5)
    assert index.search("red") == ("A", "B")


def test_sparse_scores_equal_bm25s_full_scores(catalogue):
    index = catalogue.search
    rng = random.Random(1)
    words = sorted(index.vocab)
    for g in catalogue.goals["test"][:20]:
        for query in (g.instruction, " ".join(rng.sample(words, 4)) + " red red"):
            scores = index.scores(query)
            full = index.retriever.get_scores(index.word_ids(query))
            assert np.flatnonzero(full).tolist() == np.flatnonzero(scores).tolist()
            assert scores == pytest.approx(full, rel=1e-5)
            ranked = [index.asins[i] for i in np.lexsort((np.arange(len(full)), -full)) if full[i] > 0][:TOP_N]
            assert list(index.search(query)) == ranked


def test_large_catalogues_are_cached_on_disk_and_the_cache_is_keyed_by_the_code(tmp_path, monkeypatch):
    monkeypatch.setenv("AGORA_CACHE", str(tmp_path))
    assert cache.cache_path(1_000, 0) is None and cache.MIN_SIZE == 10_000  # small ones are generated every time
    monkeypatch.setattr(cache, "MIN_SIZE", 300)  # a small one stands in for 10k here
    path = cache.cache_path(300, 0)
    assert path.parent == tmp_path / "shop" and cache._code_version() in path.name
    fresh = build_catalogue.__wrapped__(300, 0)  # generates, indexes and writes the cache
    assert path.exists()
    loaded = cache.load(path)
    assert loaded.products == fresh.products and loaded.goals == fresh.goals
    assert loaded.search.search("coffee table") == fresh.search.search("coffee table")
    path.write_bytes(b"not a pickle")  # a broken cache is regenerated, not an error
    assert build_catalogue.__wrapped__(300, 0).products == fresh.products
    monkeypatch.setenv("AGORA_CACHE", "off")
    assert cache.cache_path(300, 0) is None
