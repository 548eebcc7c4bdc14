"""HILA's two loops for a small meta-policy: group-relative decision learning, then learning from the expert.

Inner loop (:func:`train_meta_policy`). The meta-policy is a softmax over an agent's admissible
decisions with one weight per (task type, round, decision kind) feature (:class:`MetaPolicy`;
``EVAL j`` for every peer shares the EVAL weight, so the policy chooses kinds and, among EVALs,
breaks ties uniformly). Episodes are played with the current policy; at every decision state the
group is *all* candidate decisions, each executed and graded by
:meth:`envs.hila.env.HilaEnv.decision_outcome` (as HILA's code enumerates them). A group's
advantages are its rewards minus their mean (default), or also divided by their std
(``normalise_std=True``). Since the group enumerates every candidate once, its gradient is
``sum_a pi(a|s) A_a grad log pi(a|s)``, the exact policy gradient at s (a GRPO group sampled from
pi estimates the same thing); so several full-batch epochs over one batch need no importance ratio.

The std bias. With mean-centring the fitted policy maximises the expected reward of each cell, so
its greedy decision is the expected-value optimum. Dividing by a state's std gives each state's
advantages unit spread: a state where every candidate is right or every one wrong (the spread is
only the costs, std ~0.1) weighs as much as one where only the expert is right (spread ~0.4), so
the update counts how often an action wins, not by how much. The cost term, magnified in the
low-spread states, then wins too often: at round 1 with 3 agents (solver accuracy p for every
peer, expert accuracy q) an exact enumeration of outcomes finds the two rules disagreeing by a
gap above 0.05 only as under-deferral, e.g. p = 0.62, q = 1.0: deferring is worth 0.70 against
0.62, yet the std-normalised policy adopts a peer (``tests/test_hila_effect.py`` trains both).

Outer loop (:func:`run_dual_loop`). After each inner loop the greedy policy is deployed on fresh
training tasks; every deferral it makes, answered by the expert, becomes a supervised example
(problem -> expert reply, :class:`DeferralExample`). A simulated solver learns from them by the
rule in :func:`learn_from_experts`; the inner loop is then re-fitted from zero (a saturated
softmax relearns slowly) for the improved solver. Defer rate, expected reward (mean decision
reward) and accuracy (majority vote right) are logged per round and task type on the test split.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from envs.hila.env import CREATE, DEFER, EVAL, HilaEnv
from envs.hila.solvers import SimulatedSolver
from training.softmax_fit import fit_softmax

KINDS = (EVAL, CREATE, DEFER)


def kind_of(action: str) -> str:
    return action.split()[0]


class MetaPolicy:
    """Softmax over decisions; the logit of a decision is ``theta[(task type, round, kind)]``."""

    def __init__(self, task_types: tuple[str, ...], rounds: int):
        self.task_types, self.rounds = tuple(task_types), rounds
        self.theta = np.zeros(len(self.task_types) * rounds * len(KINDS))

    def feature(self, task_type: str, round_: int, action: str) -> int:
        cell = self.task_types.index(task_type) * self.rounds + (round_ - 1)
        return cell * len(KINDS) + KINDS.index(kind_of(action))

    def features(self, task_type: str, round_: int, actions: list[str]) -> np.ndarray:
        return np.array([self.feature(task_type, round_, a) for a in actions])

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        logits = self.theta[features]
        weights = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return weights / weights.sum(axis=-1, keepdims=True)

    def greedy_kind(self, task_type: str, round_: int) -> str:
        """The kind with the highest logit in a cell (ties: the first of EVAL, CREATE, DEFER)."""
        return max(KINDS, key=lambda k: (self.theta[self.feature(task_type, round_, k)], -KINDS.index(k)))


@dataclass
class Groups:
    """One row per decision state: candidate features, their rewards, and the state's type and round."""

    features: list[np.ndarray] = field(default_factory=list)
    rewards: list[np.ndarray] = field(default_factory=list)


def group_advantages(rewards: np.ndarray, normalise_std: bool = False) -> np.ndarray:
    """Rewards minus the group mean (rows are groups); optionally divided by the group std
    (a group whose rewards are all equal gets zeros)."""
    centred = rewards - rewards.mean(axis=-1, keepdims=True)
    if not normalise_std:
        return centred
    std = rewards.std(axis=-1, keepdims=True)
    return np.divide(centred, std, out=np.zeros_like(centred), where=std > 1e-12)


def play(env: HilaEnv, policy: MetaPolicy, split: str, indices: range, rng: np.random.Generator | None,
         groups: Groups | None = None) -> list[dict]:
    """Play one game per task index; ``rng`` None plays greedily, else samples. With ``groups``,
    every decision state's candidates are executed and graded into it. Returns one row per decision."""
    rows = []
    for index in indices:
        _, infos = env.reset(seed=int(index), options={"split": split, "index": int(index)})
        while env.agents:
            actions = {}
            for agent in env.agents:
                candidates = infos[agent]["admissible_actions"]
                task_type, round_ = infos[agent]["task_type"], infos[agent]["round"]
                features = policy.features(task_type, round_, candidates)
                if groups is not None:
                    groups.features.append(features)
                    groups.rewards.append(np.array([env.decision_outcome(agent, a).reward for a in candidates]))
                if rng is None:
                    best = max(range(len(candidates)), key=lambda i: (policy.theta[features[i]], -i))
                    actions[agent] = candidates[best]
                else:
                    actions[agent] = candidates[rng.choice(len(candidates), p=policy.probabilities(features))]
            decisions = {a: env.decision_outcome(a, actions[a]) for a in actions}
            _, _, _, _, infos = env.step(actions)
            for agent, d in decisions.items():
                rows.append({"index": int(index), "task_type": env.task.task_type, "round": round_, "kind": d.kind,
                             "reward": d.reward, "correct": d.correct, "answer": d.answer, "problem": env.task.text,
                             "won": infos[agent]["won"] if not env.agents else None})
    return rows


def fit(policy: MetaPolicy, groups: Groups, epochs: int, lr: float, normalise_std: bool) -> None:
    """Full-batch ascent on the enumerated-group policy gradient (:func:`training.softmax_fit.fit_softmax`);
    each feature's gradient is averaged over the candidates that carry it (one-hot cells are
    independent problems)."""
    features, rewards = np.stack(groups.features), np.stack(groups.rewards)
    one_hot = np.eye(policy.theta.size)[features]  # [G, A, P]
    counts = np.bincount(features.ravel(), minlength=policy.theta.size).clip(min=1)
    fit_softmax(policy.theta, one_hot, group_advantages(rewards, normalise_std), np.ones(features.shape, bool),
                counts, epochs, lr)


@dataclass(frozen=True)
class InnerConfig:
    iterations: int = 2  # rollout-then-fit cycles
    episodes: int = 600  # training games per iteration
    epochs: int = 200  # full-batch gradient steps per iteration
    lr: float = 5.0
    normalise_std: bool = False
    seed: int = 0


def train_meta_policy(env: HilaEnv, config: InnerConfig = InnerConfig()) -> MetaPolicy:
    """Fit a meta-policy from zero: ``iterations`` x (play ``episodes`` sampled games, fit)."""
    policy = MetaPolicy(env.source.types, env.rounds)
    rng = np.random.default_rng(config.seed)
    size = env.source.size("train")
    for it in range(config.iterations):
        groups = Groups()
        start = (config.seed * 100_003 + it * config.episodes) % (size - config.episodes)  # fresh tasks per iteration
        play(env, policy, "train", range(start, start + config.episodes), rng, groups)
        fit(policy, groups, config.epochs, config.lr, config.normalise_std)
    return policy


def summarise(rows: list[dict]) -> dict[str, dict[str, float]]:
    """Per task type and overall ("all"): defer rate, expected (mean decision) reward, accuracy of the vote."""
    by_type = defaultdict(list)
    for row in rows:
        by_type[row["task_type"]].append(row)
        by_type["all"].append(row)
    table = {}
    for task_type, rs in sorted(by_type.items()):
        votes = [r["won"] for r in rs if r["won"] is not None]
        table[task_type] = {"defer_rate": float(np.mean([r["kind"] == DEFER for r in rs])),
                            "expected_reward": float(np.mean([r["reward"] for r in rs])),
                            "accuracy": float(np.mean(votes)) if votes else float("nan")}
    return table


def evaluate(env: HilaEnv, policy: MetaPolicy, episodes: int = 500) -> dict[str, dict[str, float]]:
    """The greedy policy on the first ``episodes`` test tasks."""
    return summarise(play(env, policy, "test", range(episodes), rng=None))


# --- the outer loop -------------------------------------------------------------------------


@dataclass(frozen=True)
class DeferralExample:
    """One supervised example from an answered deferral: the problem and the expert's reply."""

    problem: str
    task_type: str
    expert_reply: str
    correct: bool  # graded like any reply; a wrong demonstration teaches nothing under the rule below

    def as_sft_row(self) -> dict[str, str]:
        return {"prompt": self.problem, "response": f"answer: {self.expert_reply}"}


def deferral_examples(rows: list[dict]) -> list[DeferralExample]:
    return [DeferralExample(r["problem"], r["task_type"], r["answer"], r["correct"]) for r in rows if r["kind"] == DEFER]


def learn_from_experts(solver: SimulatedSolver, examples: list[DeferralExample], rate: float = 0.01,
                       ceiling: float = 0.95) -> SimulatedSolver:
    """The simulated solver's fine-tuning: with ``k`` correct demonstrations of a type its accuracy
    moves toward ``ceiling``: ``p <- p + (ceiling - p) * (1 - (1 - rate) ** k)`` (never down). A wrong
    demonstration teaches nothing, so a student trained on graded demonstrations may pass its
    teacher (as with rejection-sampled SFT); ``ceiling`` caps what it can learn."""
    if not isinstance(solver, SimulatedSolver):
        raise TypeError(f"learn_from_experts updates a SimulatedSolver; got {solver!r}. For a model, train on "
                        "[e.as_sft_row() for e in examples] with a supervised fine-tuning run")
    correct = defaultdict(int)
    for e in examples:
        correct[e.task_type] += e.correct
    accuracy = dict(solver.accuracy)
    for task_type, k in correct.items():
        p = solver.expected_accuracy(task_type)
        accuracy[task_type] = max(p, p + (ceiling - p) * (1 - (1 - rate) ** k))
    return SimulatedSolver(accuracy, solver.default)


@dataclass(frozen=True)
class DualLoopConfig:
    outer_rounds: int = 2  # inner fits; the solver learns between consecutive ones
    deploy_episodes: int = 300  # fresh training games the fitted policy plays to collect deferrals
    eval_episodes: int = 500  # test games per logged round
    learn_rate: float = 0.01
    ceiling: float = 0.95
    inner: InnerConfig = InnerConfig()


def run_dual_loop(env: HilaEnv, config: DualLoopConfig = DualLoopConfig()) -> list[dict]:
    """Alternate the loops; one log entry per round: the policy, the solver's skill, the test table."""
    if not isinstance(env.solver, SimulatedSolver):
        raise TypeError(f"run_dual_loop fine-tunes a SimulatedSolver by rule; got {env.solver!r}. For a model, collect "
                        "deferral_examples(play(...)) and fine-tune on their as_sft_row() rows")
    env = copy.copy(env)  # the solver is replaced round by round; the caller's env is left as it was
    logs = []
    for round_ in range(config.outer_rounds):
        policy = train_meta_policy(env, config.inner)
        deploy_start = env.source.size("train") - (round_ + 1) * config.deploy_episodes  # the split's far end
        deployed = play(env, policy, "train", range(deploy_start, deploy_start + config.deploy_episodes), rng=None)
        examples = deferral_examples(deployed)
        logs.append({"round": round_, "policy": policy, "skill": dict(env.solver.accuracy),
                     "examples": len(examples), "table": evaluate(env, policy, config.eval_episodes)})
        env.solver = learn_from_experts(env.solver, examples, config.learn_rate, config.ceiling)
    return logs
