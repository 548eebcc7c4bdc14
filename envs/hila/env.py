"""HILA: agents that decide, round by round, to adopt a peer's answer, write their own, or defer.

    env = envs.make("agora/HILA-v0", n_agents=3, rounds=3, lambda_defer=0.3)
    observations, infos = env.reset(seed=0, options={"split": "test", "index": 7})

A game is one verifiable task (:mod:`envs.hila.tasks`). In round 0 every agent's answer-writer
(the ``solver`` backend) answers on its own. In each of ``rounds`` later rounds every agent's
meta-policy picks exactly one decision, all agents at once, each seeing everyone's latest answers:

- ``EVAL j``: adopt peer ``j``'s latest answer;
- ``CREATE``: its answer-writer writes an updated answer, seeing the others';
- ``DEFER``: ask the ``expert`` backend, who sees the problem and all agents' latest answers.

A decision's reward is ``1[its answer is right] - lambda_defer * 1[DEFER] - lambda_create * 1[CREATE]``
(defaults 0.3 and 0.03); the expert's reply is graded like any other. After a ``DEFER`` the agent's
``info["deferral"]`` holds the answered request (``problem``, ``task_type``, ``answer``, ``correct``):
HILA's outer loop learns from these. After the last round the
team's answer is the majority vote (a tie goes to the lowest-numbered agent's answer) and ``won``
says whether it is right. An invalid action (not one of the listed decisions, or ``EVAL`` of
oneself) keeps the agent's answer, costs ``invalid_penalty`` (0.1) and is explained; the round
still passes.

Each observation holds the problem, the agent's and its peers' latest answers, the decisions with
their costs, and the structured-signals block (:mod:`envs.hila.signals`). Rewards are exact
functions of the request: a simulated backend's reply depends on (episode key, round, agent,
decision), so :meth:`HilaEnv.decision_outcome` can execute and grade every candidate of a state
without changing it (the inner loop's groups, :mod:`training.hila`).

Constructor options: ``task_types`` (default ``DEFAULT_TYPES``), ``n_agents`` (>= 2, default 3),
``rounds`` (>= 1, default 3), ``lambda_defer``, ``lambda_create``, ``invalid_penalty``, ``split``
(default "train"), ``solver`` and ``expert`` (backends, or a mapping task type -> accuracy
for a simulated one; default simulated with ``DEFAULT_SOLVER_ACCURACY`` / ``DEFAULT_EXPERT_ACCURACY``). ``reset(options=)`` takes ``split`` and
``index``. ``record_candidates=True`` also executes and grades every admissible decision of each
agent at every step and reports their rewards, in admissible order, as ``info["candidate_rewards"]``
(the group of the state just left; :mod:`training.hila_trainer` learns from them).

``info["episode_metrics"]`` holds the team's running totals: ``deferrals``, ``creates`` and
``cost`` (``lambda_defer`` per deferral plus ``lambda_create`` per new answer), for evaluation.

The scripted expert policy (privileged: it knows which answers are right) is the expected-value
rule: adopt a right peer answer if there is one; otherwise ``DEFER`` iff
``expert accuracy - lambda_defer > solver accuracy - lambda_create``, else ``CREATE``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from envs.core import MultiAgentTextEnv, MultiStepOutcome, quote_action
from envs.hila.signals import majority, signals_block
from envs.hila.solvers import SimulatedSolver
from envs.hila.tasks import TaskSource, VerifiableTask

DEFAULT_TYPES = ("math-d1", "math-d3", "math-d5", "qa-2hop", "qa-4hop")
DEFAULT_SOLVER_ACCURACY = {"math-d1": 0.9, "math-d2": 0.7, "math-d3": 0.5, "math-d4": 0.35, "math-d5": 0.2,
                           "qa-2hop": 0.75, "qa-3hop": 0.5, "qa-4hop": 0.3}
DEFAULT_EXPERT_ACCURACY = {"math-d1": 0.97, "math-d2": 0.95, "math-d3": 0.9, "math-d4": 0.85, "math-d5": 0.8,
                           "qa-2hop": 0.95, "qa-3hop": 0.9, "qa-4hop": 0.85}
CREATE, DEFER, EVAL = "CREATE", "DEFER", "EVAL"
_KIND_CODE = {CREATE: 1, DEFER: 2}  # part of a reply's key


@dataclass(frozen=True)
class Decision:
    """What one action does: its kind, the new answer, whether that is right, and the reward."""

    kind: str  # EVAL, CREATE, DEFER, or "" for an invalid action
    answer: str
    correct: bool
    reward: float
    note: str


def _check_number(name: str, value, low: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < low:
        raise ValueError(f"{name} must be a finite number >= {low}, got {value!r}")
    return float(value)


def _backend(given, default_accuracy: dict[str, float]):
    """A solver object, or a simulated one from an accuracy mapping (a config file's form), or the default."""
    if given is None:
        return SimulatedSolver(default_accuracy)
    return SimulatedSolver(given) if isinstance(given, Mapping) else given


def _check_count(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return value


class HilaEnv(MultiAgentTextEnv):
    metadata = {**MultiAgentTextEnv.metadata, "name": "agora_hila_v0"}

    def __init__(self, task_types: tuple[str, ...] = DEFAULT_TYPES, n_agents: int = 3, rounds: int = 3,
                 lambda_defer: float = 0.3, lambda_create: float = 0.03, invalid_penalty: float = 0.1,
                 split: str = "train", solver=None, expert=None, record_candidates: bool = False,
                 render_mode: str | None = None):
        n_agents = _check_count("n_agents", n_agents, 2)
        super().__init__([f"agent_{i}" for i in range(n_agents)], render_mode)
        self.source = TaskSource(tuple(task_types))
        self.source.size(split)  # validates the split
        self.split = split
        self.rounds = _check_count("rounds", rounds, 1)
        self.lambda_defer = _check_number("lambda_defer", lambda_defer, 0.0)
        self.lambda_create = _check_number("lambda_create", lambda_create, 0.0)
        self.invalid_penalty = _check_number("invalid_penalty", invalid_penalty, 0.0)
        self.solver = _backend(solver, DEFAULT_SOLVER_ACCURACY)
        self.expert = _backend(expert, DEFAULT_EXPERT_ACCURACY)
        self.record_candidates = bool(record_candidates)
        self._candidate_rewards: dict[str, list[float]] = {}
        self.task: VerifiableTask | None = None
        self.answers: list[str] = []
        self.round = 0
        self.history: list[dict[str, Decision]] = []
        self._key = 0

    # --- the game ---------------------------------------------------------------------
    def _reset(self, options: dict) -> dict[str, str]:
        split = options.get("split", self.split)
        size = self.source.size(split)
        index = options.get("index", int(self.np_random.integers(size)))
        self.task = self.source.task(split, index)
        self._key = int(self.np_random.integers(2**62))
        self.answers = [self.solver.reply(self.task, "", (self._key, 0, i, _KIND_CODE[CREATE]))
                        for i in range(len(self.possible_agents))]
        self.round, self.history, self._candidate_rewards = 1, [], {}
        return {a: self._observe(i, "Round 0: every agent answered on its own.") for i, a in enumerate(self.agents)}

    def decision_outcome(self, agent: str, action: str) -> Decision:
        """What ``action`` by ``agent`` would do this round (nothing in the env changes)."""
        me = self.possible_agents.index(agent)
        words = action.strip().upper().split()
        if words in ([CREATE], [DEFER]):
            kind = words[0]
            backend = self.solver if kind == CREATE else self.expert
            answer = backend.reply(self.task, self._context(me, kind), (self._key, self.round, me, _KIND_CODE[kind]))
        elif len(words) == 2 and words[0] == EVAL and words[1].isdigit() and int(words[1]) < len(self.answers):
            kind, peer = EVAL, int(words[1])
            if peer == me:
                return self._invalid(me, f"Invalid action: {quote_action(action)}; EVAL names a peer, not yourself.")
            answer = self.answers[peer]
        else:
            return self._invalid(me, f"Invalid action: {quote_action(action)}. Reply with exactly one of: "
                                     f"{', '.join(self.admissible_actions(agent))}.")
        correct = self.task.grade(answer)
        cost = self.lambda_defer * (kind == DEFER) + self.lambda_create * (kind == CREATE)
        return Decision(kind, answer, correct, float(correct) - cost, f"You chose {' '.join(words)}; your answer is now {answer!r}.")

    def _invalid(self, me: int, note: str) -> Decision:
        return Decision("", self.answers[me], False, -self.invalid_penalty, note + " Your answer stays as it was.")

    def _step(self, actions: dict[str, str], refused: dict[str, str]) -> MultiStepOutcome:
        decisions, self._candidate_rewards = {}, {}
        for agent, text in actions.items():
            if self.record_candidates:  # the group of this state; the chosen decision is one of them
                group = {a: self.decision_outcome(agent, a) for a in self.admissible_actions(agent)}
                self._candidate_rewards[agent] = [d.reward for d in group.values()]
                decisions[agent] = group.get(text) or self.decision_outcome(agent, text)
            else:
                decisions[agent] = self.decision_outcome(agent, text)
        for agent, why in refused.items():
            decisions[agent] = self._invalid(self.possible_agents.index(agent), why)
        self.history.append(decisions)
        self.answers = [decisions[a].answer for a in self.possible_agents]  # all decide at once
        over = self.round >= self.rounds
        self.round += 1
        if over:
            self._won = self.task.grade(self.final_answer())
        ending = f" The game is over: the majority answer is {self.final_answer()!r}." if over else ""
        observations = {a: self._observe(i, decisions[a].note + ending) for i, a in enumerate(self.possible_agents)}
        return MultiStepOutcome(observations, {a: d.reward for a, d in decisions.items()},
                                {a: bool(d.kind) for a, d in decisions.items()}, terminated=over, won=self._won)

    def final_answer(self) -> str:
        return majority(self.answers)[0]

    # --- what agents see ---------------------------------------------------------------
    def _context(self, me: int, kind: str) -> str:
        shown = range(len(self.answers)) if kind == DEFER else (i for i in range(len(self.answers)) if i != me)
        return "Answers so far: " + "; ".join(f"agent {i}: {self.answers[i]}" for i in shown)

    def _observe(self, me: int, note: str) -> str:
        peers = "\n".join(f"  agent {i}: {a}" for i, a in enumerate(self.answers) if i != me)
        return (f"{note}\nProblem ({self.task.task_type}): {self.task.text}\n"
                f"Round {min(self.round, self.rounds)} of {self.rounds}. You are agent {me}; your answer: {self.answers[me]}\n"
                f"Peers' latest answers:\n{peers}\n{signals_block(self.answers, me)}\n"
                f"Decide: EVAL j (adopt peer j's answer, free), CREATE (write an updated answer, cost "
                f"{self.lambda_create}) or DEFER (ask the expert, cost {self.lambda_defer}). "
                f"Reward: 1 if your new answer is right, minus the cost.")

    def task_for(self, agent: str) -> str:
        return f"Answer correctly ({self.task.task_type if self.task else 'a verifiable task'}); defer to the expert only when worth its cost."

    def admissible_actions(self, agent: str) -> list[str]:
        me = self.possible_agents.index(agent)
        return [f"{EVAL} {j}" for j in range(len(self.possible_agents)) if j != me] + [CREATE, DEFER]

    def expert_actions(self) -> dict[str, str]:
        actions = {}
        for me, agent in enumerate(self.agents):
            right = [j for j, a in enumerate(self.answers) if j != me and self.task.grade(a)]
            actions[agent] = f"{EVAL} {right[0]}" if right else self._create_or_defer()
        return actions

    def _create_or_defer(self) -> str:
        own, expert = (b.expected_accuracy(self.task.task_type) for b in (self.solver, self.expert))
        own, expert = 0.5 if own is None else own, 0.5 if expert is None else expert
        return DEFER if expert - self.lambda_defer > own - self.lambda_create else CREATE

    def _info(self, agent: str) -> dict:
        info = super()._info(agent)
        info["task_type"] = self.task.task_type if self.task else ""
        info["round"] = min(self.round, self.rounds)
        made = [d.kind for decisions in self.history for d in decisions.values()]
        info["episode_metrics"] = {"deferrals": made.count(DEFER), "creates": made.count(CREATE),
                                   "cost": self.lambda_defer * made.count(DEFER) + self.lambda_create * made.count(CREATE)}
        if agent in self._candidate_rewards and self.history:
            info["candidate_rewards"] = list(self._candidate_rewards[agent])
        last = self.history[-1].get(agent) if self.history else None
        if last is not None and last.kind == DEFER:
            info["deferral"] = {"problem": self.task.text, "task_type": self.task.task_type, "answer": last.answer,
                                "correct": last.correct}
        return info
