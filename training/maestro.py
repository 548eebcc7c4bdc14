"""A small Maestro orchestrator: a softmax over calls and answers that scores registry entries by
their described features, trained with the group-relative inner loop.

The policy never sees an entry's name. Per task type it has one weight for each feature of a
candidate action (:data:`FEATURES`): a call is described by the entry's reported accuracy on the
task's type and its cost (weighed apart for a first and a later call), whether it was called
already and whether any call was made; an answer by
the best reported accuracy among the experts that gave that reply and their share of the calls.
So an entry added to the registry later is scored like the others, with no gradient step.

Training (:func:`train_orchestrator`): episodes are played with the current policy; at every state
the group is every admissible action, each executed on a copy of the env and followed to the end by
the current (sampling) policy; its return is the group member's reward. Advantages are the returns
minus the group mean; each group's gradient is ``sum_a pi(a|s) A_a grad log pi(a|s)`` (see
:mod:`training.softmax_fit`), averaged per task type, ``epochs`` full-batch steps per iteration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from envs.maestro.env import _ANSWER, _CALL, MaestroEnv
from training.softmax_fit import fit_softmax

# A first call and a later one have their own accuracy and cost weights: what makes a first call good
# (the best value) is not what makes another call worth it (what it adds to the replies so far).
FEATURES = ("first_accuracy", "first_cost", "later_accuracy", "later_cost", "called_before", "after_a_call",
            "answer", "answer_accuracy", "answer_share")


def action_features(env: MaestroEnv, action: str) -> np.ndarray:
    task_type = env.problem.task_type
    called = [who for who, _ in env.replies]
    f = np.zeros(len(FEATURES))
    call, answer = _CALL.fullmatch(action), _ANSWER.fullmatch(action)
    if call:
        entry = env.entry(call.group(1).split(":")[0].strip())
        at = 2 if called else 0
        f[at: at + 2] = entry.accuracy_on(task_type), entry.cost
        f[4:6] = float(entry in called), float(bool(called))
    elif answer:
        givers = [who for who, reply in env.replies if reply == answer.group(1)]
        f[6:] = 1.0, max((w.accuracy_on(task_type) for w in givers), default=0.0), len(givers) / max(len(called), 1)
    return f


class OrchestratorPolicy:
    """Logit of an action = ``theta[task type] . features(action)``."""

    def __init__(self, task_types: tuple[str, ...]):
        self.task_types = tuple(task_types)
        self.theta = np.zeros((len(self.task_types), len(FEATURES)))

    def logits(self, env: MaestroEnv, actions: list[str]) -> np.ndarray:
        features = np.stack([action_features(env, a) for a in actions])
        return features @ self.theta[self.task_types.index(env.problem.task_type)]

    def choose(self, env: MaestroEnv, actions: list[str], rng: np.random.Generator | None) -> str:
        """Greedy (first best) when ``rng`` is None, else a sample."""
        logits = self.logits(env, actions)
        if rng is None:
            return actions[int(np.argmax(logits))]
        p = np.exp(logits - logits.max())
        return actions[rng.choice(len(actions), p=p / p.sum())]


def finish(env: MaestroEnv, action: str, policy: OrchestratorPolicy, rng: np.random.Generator | None) -> float:
    """The return of taking ``action`` now and following ``policy`` to the end (env is changed)."""
    total = 0.0
    while True:
        _, reward, terminated, truncated, info = env.step(action)
        total += reward
        if terminated or truncated:
            return total
        action = policy.choose(env, info["admissible_actions"], rng)


@dataclass(frozen=True)
class OrchestratorConfig:
    iterations: int = 3  # rollout-then-fit cycles
    episodes: int = 200  # training episodes per iteration
    epochs: int = 600  # full-batch gradient steps per iteration
    lr: float = 20.0
    seed: int = 0


def _fit(policy: OrchestratorPolicy, groups: list[tuple[int, np.ndarray, np.ndarray]], epochs: int, lr: float) -> None:
    """Each type's weights are a block of the parameter vector; a group's features fill its type's block."""
    width, n_features = max(len(returns) for _, _, returns in groups), len(FEATURES)
    features = np.zeros((len(groups), width, policy.theta.size))
    advantages = np.zeros((len(groups), width))
    valid = np.zeros((len(groups), width), dtype=bool)
    for g, (t, f, returns) in enumerate(groups):
        features[g, : len(returns), t * n_features : (t + 1) * n_features] = f
        valid[g, : len(returns)] = True
        advantages[g, : len(returns)] = returns - returns.mean()
    per_type = np.bincount([t for t, _, _ in groups], minlength=len(policy.task_types)).clip(min=1)
    theta = policy.theta.reshape(-1)  # a view: fitted in place
    fit_softmax(theta, features, advantages, valid, np.repeat(per_type, n_features), epochs, lr)


def train_orchestrator(env: MaestroEnv, config: OrchestratorConfig = OrchestratorConfig()) -> OrchestratorPolicy:
    policy = OrchestratorPolicy(env.source.types)
    rng = np.random.default_rng(config.seed)
    for it in range(config.iterations):
        groups = []
        start = (config.seed * 100_003 + it * config.episodes) % (env.source.size("train") - config.episodes)
        for index in range(start, start + config.episodes):
            _, info = env.reset(seed=index, options={"split": "train", "index": index})
            done = False
            while not done:
                actions = info["admissible_actions"]
                returns = np.array([finish(env.fork(), a, policy, rng) for a in actions])
                features = np.stack([action_features(env, a) for a in actions])
                groups.append((policy.task_types.index(env.problem.task_type), features, returns))
                _, _, terminated, truncated, info = env.step(policy.choose(env, actions, rng))
                done = terminated or truncated
        _fit(policy, groups, config.epochs, config.lr)
    return policy


def first_call(policy: OrchestratorPolicy, env: MaestroEnv, task_type: str) -> str:
    """The greedy first call on a task of ``task_type`` (the features do not depend on the task's text)."""
    index = env.source.types.index(task_type)
    _, info = env.reset(seed=0, options={"split": "test", "index": index})
    return policy.choose(env, info["admissible_actions"], None).removeprefix("<call>").split(":")[0]


def play_greedy(policy: OrchestratorPolicy, env: MaestroEnv, episodes: int = 200) -> list[dict]:
    """One row per greedy episode on the first ``episodes`` test tasks."""
    rows = []
    for index in range(episodes):
        _, info = env.reset(seed=index, options={"split": "test", "index": index})
        ret, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, info = env.step(policy.choose(env, info["admissible_actions"], None))
            ret, done = ret + reward, terminated or truncated
        rows.append({"task_type": info["task_type"], "return": ret, "success": float(info["won"]),
                     "cost": info["cost"], "calls": float(info["calls"])})
    return rows


def evaluate(policy: OrchestratorPolicy, env: MaestroEnv, episodes: int = 200) -> dict[str, dict[str, float]]:
    """Per type and "all": the mean return, success, cost and calls per greedy episode."""
    rows = play_greedy(policy, env, episodes)
    table = {}
    for task_type in [*sorted({r["task_type"] for r in rows}), "all"]:
        rs = [r for r in rows if task_type in (r["task_type"], "all")]
        table[task_type] = {m: float(np.mean([r[m] for r in rs])) for m in ("return", "success", "cost", "calls")}
    return table
