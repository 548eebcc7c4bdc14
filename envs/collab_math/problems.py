"""Procedurally generated multi-step arithmetic word problems with integer answers.

A problem is a pure function of (split, difficulty, index): its random stream is seeded by
``numpy.random.SeedSequence([split salt, difficulty, index])``, so the train and held-out
splits come from disjoint seeds and every machine generates the same problems. Difficulty
``d`` (1..5) sets the number of operations (``d + 1``) and which operations appear: 1 adds and
subtracts, 2 adds groups ("3 boxes of 4"), 3 multiplies, 4 and 5 divide (exactly: a share is
always a whole number) with larger numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPLITS = ("train", "test")
SPLIT_SIZES = {"train": 100_000, "test": 500}
_SPLIT_SALT = {"train": 0x7A11, "test": 0x7E57}
DIFFICULTIES = (1, 2, 3, 4, 5)

NAMES = ("Avela", "Borin", "Cassi", "Dunmar", "Elsin", "Fenwa", "Galo", "Hestra", "Ibbo", "Jorun")
ITEMS = ("marbles", "stamps", "shells", "coins", "beads", "cards", "pebbles", "tokens")
CONTAINERS = ("boxes", "bags", "jars", "packs")
FRIENDS = ("a cousin", "a neighbour", "a teacher", "a friend", "a sister", "a brother")

_OPS_BY_LEVEL = {1: ("add", "sub"), 2: ("add", "sub", "groups"), 3: ("add", "sub", "groups", "times"),
                 4: ("add", "sub", "groups", "times", "share"), 5: ("add", "sub", "groups", "times", "share")}
_MAX_NUMBER = {1: 20, 2: 20, 3: 30, 4: 50, 5: 90}


@dataclass(frozen=True)
class Problem:
    text: str
    answer: int
    values: tuple[int, ...]  # the running total after each sentence (values[-1] == answer)
    difficulty: int


def check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def check_difficulty(difficulty: int) -> None:
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {DIFFICULTIES}, got {difficulty!r}")


def make_problem(split: str, index: int, difficulty: int) -> Problem:
    """Entry ``index`` of ``split`` at ``difficulty``."""
    check_split(split)
    check_difficulty(difficulty)
    if not isinstance(index, (int, np.integer)) or not 0 <= index < SPLIT_SIZES[split]:
        raise ValueError(f"index must be an int in [0, {SPLIT_SIZES[split]}) for split {split!r}, got {index!r}")
    rng = np.random.default_rng(np.random.SeedSequence([_SPLIT_SALT[split], difficulty, int(index)]))
    top = _MAX_NUMBER[difficulty]
    name, item = NAMES[rng.integers(len(NAMES))], ITEMS[rng.integers(len(ITEMS))]
    total = int(rng.integers(5, top + 1))
    sentences, values = [f"{name} has {total} {item}."], [total]
    for _ in range(difficulty + 1):
        sentence, total = _operation(rng, difficulty, name, item, total, top)
        sentences.append(sentence)
        values.append(total)
    sentences.append(f"How many {item} does {name} have now?")
    return Problem(" ".join(sentences), total, tuple(values), difficulty)


def _operation(rng: np.random.Generator, level: int, name: str, item: str, total: int, top: int) -> tuple[str, int]:
    ops = [op for op in _OPS_BY_LEVEL[level] if _possible(op, total)]
    op = ops[rng.integers(len(ops))]
    if op == "add":
        k = int(rng.integers(1, top + 1))
        return f"Then {name} finds {k} more {item}.", total + k
    if op == "sub":
        k = int(rng.integers(1, total + 1))
        return f"Then {name} gives {k} {item} to {FRIENDS[rng.integers(len(FRIENDS))]}.", total - k
    if op == "groups":
        n, each = int(rng.integers(2, 6)), int(rng.integers(2, 10))
        container = CONTAINERS[rng.integers(len(CONTAINERS))]
        return f"Then {name} buys {n} {container} with {each} {item} in each.", total + n * each
    if op == "times":
        k = int(rng.integers(2, 4))
        return f"Then the number of {item} {name} has {('doubles', 'triples')[k - 2]}.", total * k
    divisors = [p for p in range(2, 7) if total % p == 0]
    p = divisors[rng.integers(len(divisors))]
    return f"Then {name} splits the {item} equally among {p} people, {name} included, and keeps one share.", total // p


def _possible(op: str, total: int) -> bool:
    if op == "sub":
        return total >= 1
    if op == "share":
        return any(total % p == 0 for p in range(2, 7))
    return True


def candidate_answers(problem: Problem, count: int, rng: np.random.Generator) -> list[int]:
    """``count`` distinct non-negative answers in a shuffled order: the right one and plausible
    mistakes (an intermediate total, an off-by-a-few answer)."""
    wrong = {v for v in problem.values[:-1] if v != problem.answer}
    wrong |= {problem.answer + d for d in (-10, -2, -1, 1, 2, 10) if problem.answer + d >= 0}
    pool = sorted(wrong)
    picked = [pool[i] for i in rng.permutation(len(pool))[: count - 1]]
    options = [problem.answer, *picked]
    return [options[i] for i in rng.permutation(len(options))]
