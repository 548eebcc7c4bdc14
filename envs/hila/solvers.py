"""Who writes answers: the agents' answer-writers and the expert, as interchangeable backends.

A solver is asked ``reply(task, context, key)``: ``context`` is what it sees besides the problem
(the other agents' latest answers, or nothing) and ``key`` a tuple of ints naming the request, so
a simulated reply is a pure function of it (same request, same reply, on any machine).

- :class:`SimulatedSolver` is right with a set probability per task type and otherwise says one of
  the task's plausible wrong answers. It ignores ``context``: a fresh attempt, as good as its skill.
- :class:`PolicySolver` asks an agora model backend (``agents.backends``: HF, vLLM or an
  OpenAI-compatible server) and returns the model's text; the env grades it like any reply.

Neither is ground truth: an expert's reply is graded like anyone's.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping

from envs.hila.tasks import TASK_TYPES, VerifiableTask


def check_accuracy(accuracy: Mapping[str, float], what: str) -> dict[str, float]:
    table = dict(accuracy)
    bad = {t: p for t, p in table.items() if t not in TASK_TYPES or isinstance(p, bool)
           or not isinstance(p, (int, float)) or not (math.isfinite(p) and 0 <= p <= 1)}
    if bad:
        raise ValueError(f"{what}: accuracies must map task types {TASK_TYPES} to numbers in [0, 1]; bad entries {bad}")
    return {t: float(p) for t, p in table.items()}


class SimulatedSolver:
    """Right with probability ``accuracy[task_type]`` (types not listed: ``default``)."""

    def __init__(self, accuracy: Mapping[str, float], default: float = 0.0):
        self.accuracy = check_accuracy(accuracy, "SimulatedSolver")
        self.default = check_accuracy({TASK_TYPES[0]: default}, "SimulatedSolver default")[TASK_TYPES[0]]

    def __repr__(self) -> str:
        return f"SimulatedSolver({self.accuracy})"

    def expected_accuracy(self, task_type: str) -> float:
        return self.accuracy.get(task_type, self.default)

    def reply(self, task: VerifiableTask, context: str, key: tuple[int, ...]) -> str:
        rng = random.Random(",".join(str(int(k)) for k in key))  # str seeds hash the same everywhere
        if rng.random() < self.expected_accuracy(task.task_type) or not task.distractors:
            return task.answer
        return task.distractors[rng.randrange(len(task.distractors))]


class PolicySolver:
    """An LLM answer-writer or expert through an agora :class:`agents.backends.base.Backend`."""

    def __init__(self, policy, instruction: str = "Solve the problem. End with 'answer: <answer>'.",
                 max_tokens: int = 128, temperature: float = 0.0):
        from agents.backends.base import SamplingConfig  # agents is optional for envs: imported on use

        self.policy = policy
        self.instruction = instruction
        self.sampling = SamplingConfig(temperature=temperature, max_tokens=max_tokens)

    def __repr__(self) -> str:
        return f"PolicySolver({self.policy!r})"

    def expected_accuracy(self, task_type: str) -> float | None:
        return None  # unknown for a model: the scripted expert then treats it as a coin flip

    def prompt(self, problem: str, context: str = "") -> str:
        """What the model is asked (also the prompt of a supervised example for it)."""
        return f"{self.instruction}\n\nProblem: {problem}\n{context}".rstrip()

    def reply(self, task: VerifiableTask, context: str, key: tuple[int, ...]) -> str:
        text = self.policy.generate([self.prompt(task.text, context)], self.sampling)[0].text.strip()
        return _final_answer(text)


def _final_answer(text: str) -> str:
    """The part after the last 'answer:' (models often reason first), else the whole text."""
    lowered = text.lower()
    at = lowered.rfind("answer:")
    return text[at + len("answer:"):].strip() or text if at >= 0 else text
