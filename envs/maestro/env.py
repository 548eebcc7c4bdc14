"""Maestro: an orchestrator that calls (model, skill) experts from a registry, then answers.

    env = envs.make("agora/Maestro-v0", beta=0.3)                  # the packaged registry
    env = envs.make("agora/Maestro-v0", registry="my_experts.yaml")
    obs, info = env.reset(seed=0, options={"split": "test", "index": 3})

An episode is one verifiable task (:mod:`envs.hila.tasks`). The prompt lists the registry's
entries for the task's type (name, description, cost, reported accuracy), so entries added to the
file are usable without retraining. Actions:

- ``<call>Model@@Skill: input</call>``: the expert gets the problem and ``input``; its reply is
  shown. At most ``max_calls`` calls (default 4). A simulated expert's reply depends only on
  (episode, entry): asking the same expert again gives the same reply.
- ``<answer>...</answer>``: the final answer, graded; the episode ends.

Reward: ``1[correct] - beta * total cost - format_penalty * (format errors)``, paid as it accrues
(``-beta * cost`` on a call's step). A format error (no ``<call>``/``<answer>`` tag, an unknown model
or skill, an empty input, a call past the budget) is explained, costs ``format_penalty`` (0.1) and
the episode goes on; after ``2 * (max_calls + 1)`` steps it is cut off (truncated) unanswered.

Admissible actions: one call per entry (input "solve the problem above") while budget is left, and
``<answer>reply</answer>`` for each distinct reply received. ``info`` also holds ``task_type``,
``calls`` and ``cost`` (the total so far), and ``episode_metrics`` (the same two, for evaluation).

Constructor options: ``registry`` (a YAML path, or a list of :class:`ExpertEntry`; default the
packaged file), ``task_types`` (default ``DEFAULT_TYPES``), ``beta`` (default 0.3), ``max_calls``,
``format_penalty``, ``split``. ``reset(options=)`` takes ``split`` and ``index``.

The scripted expert (it knows the reported accuracies): call the entry with the highest
``accuracy - beta * cost`` for the task's type, then answer with its reply.
"""

from __future__ import annotations

import copy
import re

from envs.core import StepOutcome, TextEnv, quote_action
from envs.hila.env import _check_count, _check_number
from envs.hila.tasks import TaskSource, VerifiableTask
from envs.maestro.registry import ExpertEntry, load_registry

DEFAULT_TYPES = ("math-d2", "math-d4", "qa-2hop", "qa-4hop")
DEFAULT_REQUEST = "solve the problem above"
_CALL = re.compile(r"\s*<call>(.*?)</call>\s*", re.DOTALL)
_CALL_BODY = re.compile(r"\s*([^@:\s]+)@@([^:\s]+)\s*:(.*)", re.DOTALL)
_ANSWER = re.compile(r"\s*<answer>(.*?)</answer>\s*", re.DOTALL)


class MaestroEnv(TextEnv):
    def __init__(self, registry: str | list[ExpertEntry] | None = None, task_types: tuple[str, ...] = DEFAULT_TYPES,
                 beta: float = 0.3, max_calls: int = 4, format_penalty: float = 0.1, split: str = "train",
                 render_mode: str | None = None):
        super().__init__(render_mode)
        self.entries = list(registry) if isinstance(registry, (list, tuple)) else load_registry(registry)
        if not self.entries or not all(isinstance(e, ExpertEntry) for e in self.entries):
            raise ValueError("registry must be a YAML path or a non-empty list of ExpertEntry")
        self.source = TaskSource(tuple(task_types))
        self.source.size(split)
        self.split = split
        self.beta = _check_number("beta", beta, 0.0)
        self.max_calls = _check_count("max_calls", max_calls, 1)
        self.format_penalty = _check_number("format_penalty", format_penalty, 0.0)
        self.problem: VerifiableTask | None = None
        self.replies: list[tuple[ExpertEntry, str]] = []  # (who, what) per call, in order
        self.cost = 0.0
        self._steps = 0
        self._key = 0

    def fork(self) -> MaestroEnv:
        """A copy in the same state that shares the registry and task: stepping it leaves this env
        as it is (the group-relative trainer executes every candidate action on a fork)."""
        clone = copy.copy(self)
        clone.replies = list(self.replies)
        return clone

    def entry(self, name: str) -> ExpertEntry | None:
        return next((e for e in self.entries if e.name == name), None)

    def _reset(self, options: dict) -> str:
        split = options.get("split", self.split)
        index = options.get("index", int(self.np_random.integers(self.source.size(split))))
        self.problem = self.source.task(split, index)
        self.task = f"Answer the {self.problem.task_type} problem correctly, calling experts only when worth their cost."
        self.replies, self.cost, self._steps = [], 0.0, 0
        self._key = int(self.np_random.integers(2**62))
        registry = "\n".join(e.describe(self.problem.task_type) for e in self.entries)
        return (f"Problem ({self.problem.task_type}): {self.problem.text}\n"
                f"Experts (call one with <call>Model@@Skill: input</call>; at most {self.max_calls} calls; "
                f"each call costs beta={self.beta:g} x its cost):\n{registry}\n"
                f"Finish with <answer>your answer</answer>. Reward: 1 if right, minus beta x total cost.")

    def _step(self, action: str) -> StepOutcome:
        self._steps += 1
        answer, call = _ANSWER.fullmatch(action), _CALL.fullmatch(action)
        if answer:
            correct = self.problem.grade(answer.group(1))
            verdict = "right" if correct else f"wrong (the answer was {self.problem.answer})"
            return StepOutcome(f"Your answer {quote_action(answer.group(1))} is {verdict}. Total cost {self.cost:g}.",
                               reward=float(correct), terminated=True, won=correct, extra=self._extra())
        problem = self._call_problem(call) if call else (
            f"Invalid action: {quote_action(action)}. Write <call>Model@@Skill: input</call> or <answer>...</answer>.")
        if problem:
            return StepOutcome(problem + " (format penalty)", reward=-self.format_penalty, action_valid=False,
                               truncated=self._steps >= 2 * (self.max_calls + 1), extra=self._extra())
        body = _CALL_BODY.fullmatch(call.group(1))
        who = self.entry(f"{body.group(1)}@@{body.group(2)}")
        reply = who.reply(self.problem, body.group(3).strip(), (self._key, self.entries.index(who)))
        self.replies.append((who, reply))
        self.cost += who.cost
        return StepOutcome(f"{who.name} replied: {reply}\nCalls used {len(self.replies)} of {self.max_calls}; "
                           f"total cost {self.cost:g}.", reward=-self.beta * who.cost,
                           truncated=self._steps >= 2 * (self.max_calls + 1), extra=self._extra())

    def _call_problem(self, call: re.Match) -> str | None:
        """Why a <call> cannot be made, or None."""
        body = _CALL_BODY.fullmatch(call.group(1))
        if not body:
            return f"Invalid call: {quote_action(call.group(1))}; write <call>Model@@Skill: input</call>."
        model, skill, request = body.group(1), body.group(2), body.group(3).strip()
        models = sorted({e.model for e in self.entries})
        if model not in models:
            return f"Invalid call: there is no model {quote_action(model)}; the models are {', '.join(models)}."
        if self.entry(f"{model}@@{skill}") is None:
            skills = [e.skill for e in self.entries if e.model == model]
            return f"Invalid call: {model} has no skill {quote_action(skill)}; its skills are {', '.join(skills)}."
        if not request:
            return "Invalid call: the input after ':' is empty; say what the expert should do."
        if len(self.replies) >= self.max_calls:
            return f"Invalid call: all {self.max_calls} calls are used; answer now with <answer>...</answer>."
        return None

    def _extra(self) -> dict:
        return {"task_type": self.problem.task_type, "calls": len(self.replies), "cost": self.cost,
                "episode_metrics": {"calls": len(self.replies), "cost": self.cost}}

    def _info(self, action_valid: bool | None = None) -> dict:
        info = super()._info(action_valid)
        if self.problem is not None:
            info.update(self._extra())
        return info

    def admissible_actions(self) -> list[str]:
        calls = [f"<call>{e.name}: {DEFAULT_REQUEST}</call>" for e in self.entries] if len(self.replies) < self.max_calls else []
        return calls + [f"<answer>{r}</answer>" for r in dict.fromkeys(reply for _, reply in self.replies)]

    def expert_action(self) -> str:
        if self.replies:
            return f"<answer>{self.replies[0][1]}</answer>"
        best = max(self.entries, key=lambda e: e.accuracy_on(self.problem.task_type) - self.beta * e.cost)
        return f"<call>{best.name}: {DEFAULT_REQUEST}</call>"
