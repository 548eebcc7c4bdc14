"""Generated worlds of fictional entities and relations, and multi-hop questions about them.

A world is a pure function of (split, index): ``numpy.random.SeedSequence([split salt, index])``
seeds it, so the train and test splits come from disjoint seeds and every machine builds the same
worlds. The names are made of invented syllables, so no world knowledge can answer a question.

Entities are people, cities, organisations, countries and artifacts; every relation is a
function (one answer), and each fact is one short document. A question follows a chain of
``hops`` relations from a named entity, e.g. "What is the country of the birthplace of the
mentor of Velora Quint?" (3 hops).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

SPLITS = ("train", "test")
SPLIT_SIZES = {"train": 100_000, "test": 500}
_SPLIT_SALT = {"train": 0x5EA1, "test": 0x5EA7}
HOPS = (2, 3, 4)

_SYLLABLES = ("ka", "vel", "or", "min", "tha", "dru", "sel", "ven", "qua", "rin", "bo", "lem",
              "zar", "ith", "mo", "pel", "gor", "ny", "tas", "wen", "fi", "cor", "ul", "ash")
_COUNT = {"person": 12, "city": 6, "org": 4, "country": 3, "artifact": 4}
_ORG_KINDS = ("Guild", "Company", "Society", "Institute")
_ARTIFACTS = ("Lantern", "Compass", "Loom", "Chalice", "Astrolabe", "Harp", "Crown", "Mirror")


@dataclass(frozen=True)
class Relation:
    name: str  # the noun in a question: "the {name} of X"
    source: str
    target: str
    sentence: str  # the document text, with {s} the subject and {t} the object


RELATIONS = (
    Relation("mentor", "person", "person", "The mentor of {s} is {t}."),
    Relation("birthplace", "person", "city", "{s} was born in the city of {t}."),
    Relation("employer", "person", "org", "{s} works for {t}."),
    Relation("headquarters", "org", "city", "{s} has its headquarters in the city of {t}."),
    Relation("founder", "org", "person", "{s} was founded by {t}."),
    Relation("country", "city", "country", "The city of {s} lies in the country of {t}."),
    Relation("ruler", "country", "person", "The ruler of {s} is {t}."),
    Relation("maker", "artifact", "person", "{s} was made by {t}."),
)


@dataclass(frozen=True)
class Fact:
    relation: Relation
    subject: str
    object: str

    @property
    def text(self) -> str:
        return self.relation.sentence.format(s=self.subject, t=self.object)


@dataclass(frozen=True)
class Question:
    text: str
    answer: str
    chain: tuple[Fact, ...]  # the facts to find, in hop order


@dataclass(frozen=True)
class World:
    facts: tuple[Fact, ...]  # documents, in this order

    @property
    def documents(self) -> list[str]:
        return [f.text for f in self.facts]

    def fact(self, relation: Relation, subject: str) -> Fact:
        return next(f for f in self.facts if f.relation is relation and f.subject == subject)


def check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def check_hops(hops: int | None) -> None:
    if hops is not None and hops not in HOPS:
        raise ValueError(f"hops must be one of {HOPS} or None (drawn), got {hops!r}")


def make_task(split: str, index: int, hops: int | None = None) -> tuple[World, Question]:
    """Entry ``index`` of ``split``: its world and a question of ``hops`` hops (drawn if None)."""
    check_split(split)
    check_hops(hops)
    if not isinstance(index, (int, np.integer)) or not 0 <= index < SPLIT_SIZES[split]:
        raise ValueError(f"index must be an int in [0, {SPLIT_SIZES[split]}) for split {split!r}, got {index!r}")
    rng = np.random.default_rng(np.random.SeedSequence([_SPLIT_SALT[split], int(index)]))
    world = _make_world(rng)
    if hops is None:
        hops = int(rng.choice(HOPS))
    return world, _make_question(world, rng, hops)


def _make_world(rng: np.random.Generator) -> World:
    used: set[str] = set()

    def word(parts: int) -> str:
        while True:
            text = "".join(_SYLLABLES[i] for i in rng.integers(len(_SYLLABLES), size=parts)).capitalize()
            if text not in used:
                used.add(text)
                return text

    names = {
        "person": [f"{word(2)} {word(2)}" for _ in range(_COUNT["person"])],
        "city": [word(2) + ("vale", "mere", "ford", "holm")[rng.integers(4)] for _ in range(_COUNT["city"])],
        "org": [f"the {word(2)} {_ORG_KINDS[i]}" for i in range(_COUNT["org"])],
        "country": [word(2) + "land" for _ in range(_COUNT["country"])],
        "artifact": [f"the {word(2)} {_ARTIFACTS[i]}" for i in rng.permutation(len(_ARTIFACTS))[: _COUNT["artifact"]]],
    }
    facts = []
    for relation in RELATIONS:
        for subject in names[relation.source]:
            targets = [t for t in names[relation.target] if t != subject]  # nobody mentors themself
            facts.append(Fact(relation, subject, targets[rng.integers(len(targets))]))
    order = rng.permutation(len(facts))
    return World(tuple(facts[i] for i in order))


def _make_question(world: World, rng: np.random.Generator, hops: int) -> Question:
    """A random walk of ``hops`` relations from a random entity; the question nests their nouns."""
    start = world.facts[rng.integers(len(world.facts))].subject
    chain, entity = [], start
    for _ in range(hops):
        options = [f for f in world.facts if f.subject == entity]
        fact = options[rng.integers(len(options))]
        chain.append(fact)
        entity = fact.object
    phrase = start
    for fact in chain:
        phrase = f"the {fact.relation.name} of {phrase}"
    return Question(f"What is {phrase}?", entity, tuple(chain))


def normalise_answer(text: str) -> str:
    """Exact-match normal form (as in SQuAD/Search-R1): lower case, no punctuation, no articles."""
    text = re.sub(r"[^\w\s]", " ", text.lower())
    return " ".join(w for w in text.split() if w not in ("a", "an", "the"))
