"""A verifiable task source: problems with a type and a grader, drawn from agora's task generators.

HILA and Maestro work over any task whose answer can be checked. A :class:`VerifiableTask` is the
problem text, its type (the unit for per-type skills, costs and logs), the reference answer, a few
plausible wrong answers (what a simulated solver says when it errs) and :meth:`~VerifiableTask.grade`.

Types: ``math-d1`` .. ``math-d5`` (the collaborative-math word problems of that difficulty) and
``qa-2hop`` .. ``qa-4hop`` (the multi-hop questions of the search-QA worlds; the problem text lists
the facts needed plus distractor facts, so a model can answer without a search tool).

    source = TaskSource(("math-d1", "qa-2hop"))
    task = source.task("test", 7)        # entry 7 of the test split: types alternate by index
    task.grade("answer: 42")
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from envs.collab_math.env import parse_answer
from envs.collab_math.problems import DIFFICULTIES, make_problem
from envs.search_qa.world import HOPS, make_task, normalise_answer

TASK_TYPES = tuple(f"math-d{d}" for d in DIFFICULTIES) + tuple(f"qa-{h}hop" for h in HOPS)
SPLITS = ("train", "test")
SPLIT_SIZES = {"train": 100_000, "test": 500}  # per type; both generators have at least these
_QA_EXTRA_FACTS = 6  # distractor facts shown with a QA problem


@dataclass(frozen=True)
class VerifiableTask:
    text: str
    task_type: str
    answer: str
    distractors: tuple[str, ...]  # plausible wrong answers, never the right one

    def grade(self, reply: str) -> bool:
        """Whether ``reply`` states the right answer: math takes the number in ``answer: N``
        (collab_math's parser); QA compares exact-match normal forms (SQuAD style)."""
        if self.task_type.startswith("math"):
            value = parse_answer(reply)
            return value is not None and value == float(self.answer)
        return normalise_answer(reply) == normalise_answer(self.answer)


def check_types(types: tuple[str, ...]) -> tuple[str, ...]:
    types = tuple(types)
    unknown = [t for t in types if t not in TASK_TYPES]
    if not types or unknown:
        raise ValueError(f"task types must be a non-empty subset of {TASK_TYPES}, got {types!r}")
    return types


class TaskSource:
    """Tasks of the given types; index ``i`` of a split has type ``types[i % len(types)]``."""

    def __init__(self, types: tuple[str, ...] = TASK_TYPES):
        self.types = check_types(types)

    def size(self, split: str) -> int:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        return SPLIT_SIZES[split] * len(self.types)

    def task(self, split: str, index: int) -> VerifiableTask:
        if not isinstance(index, (int, np.integer)) or not 0 <= index < self.size(split):
            raise ValueError(f"index must be an int in [0, {self.size(split)}) for split {split!r}, got {index!r}")
        task_type = self.types[int(index) % len(self.types)]
        inner = int(index) // len(self.types)
        if task_type.startswith("math"):
            return _math_task(split, inner, task_type)
        return _qa_task(split, inner, task_type)


@functools.lru_cache(maxsize=8192)  # the dual loop replays its test tasks every round
def _math_task(split: str, index: int, task_type: str) -> VerifiableTask:
    problem = make_problem(split, index, int(task_type.removeprefix("math-d")))
    wrong = {v for v in problem.values[:-1]} | {problem.answer + d for d in (-10, -2, -1, 1, 2, 10)}
    wrong = sorted(str(v) for v in wrong if v != problem.answer and v >= 0)
    return VerifiableTask(problem.text, task_type, str(problem.answer), tuple(wrong))


@functools.lru_cache(maxsize=8192)
def _qa_task(split: str, index: int, task_type: str) -> VerifiableTask:
    world, question = make_task(split, index, int(task_type.removeprefix("qa-").removesuffix("hop")))
    target_kind = question.chain[-1].relation.target
    wrong = sorted({f.object for f in world.facts if f.relation.target == target_kind} - {question.answer})
    # The facts to show: the chain and a few others, in the world's (already shuffled) order.
    others = [f for f in world.facts if f not in question.chain][:_QA_EXTRA_FACTS]
    shown = [f.text for f in world.facts if f in question.chain or f in others]
    text = "Facts: " + " ".join(shown) + f" Question: {question.text}"
    return VerifiableTask(text, task_type, question.answer, tuple(wrong))
