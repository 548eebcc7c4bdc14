"""Maestro's effects with a small orchestrator on CPU (seeded, exact): the learned first call is the
best value for money, a costly policy stops after one call, and an expert added to the registry
later is used without a gradient step (the policy scores entries by their described features)."""

import functools

import pytest

from envs.maestro.env import MaestroEnv
from envs.maestro.registry import ExpertEntry, load_registry
from training.maestro import evaluate, first_call, train_orchestrator


@functools.cache
def trained(beta: float):
    # With beta = 0 more calls are free: any first call followed by the best expert's scores the
    # same, so the first call is only determined with a budget of one call.
    env = MaestroEnv(beta=beta, max_calls=1 if beta == 0 else 4)
    return env, train_orchestrator(env)


@pytest.mark.parametrize("beta", [0.0, 0.3])
def test_learned_first_call_is_the_best_accuracy_minus_beta_cost(beta):
    env, policy = trained(beta)
    print(f"\nbeta={beta}: type, argmax(accuracy - beta * cost), learned first call")
    for task_type in env.source.types:
        values = {e.name: e.accuracy_on(task_type) - beta * e.cost for e in env.entries}
        best = max(values, key=values.get)
        print(f"  {task_type:8s} {best:22s} {first_call(policy, env, task_type)}")
        assert first_call(policy, env, task_type) == best, task_type


def test_a_costly_policy_stops_after_one_call():
    env, policy = trained(0.3)
    table = evaluate(policy, env, 200)
    print("\nbeta=0.3 greedy on 200 test tasks:", {k: {m: round(v, 3) for m, v in row.items()} for k, row in table.items()})
    assert table["all"]["calls"] == 1.0  # every episode: exactly one call, then the answer
    assert table["all"]["success"] > 0.8


def test_a_cheaper_sufficient_expert_added_later_raises_reward_without_training():
    env, policy = trained(0.3)
    before = evaluate(policy, env, 200)
    lite = ExpertEntry("Abacus-Lite", "calculate", "a distilled arithmetic specialist", cost=0.02,
                       accuracy={"math-d2": 0.9, "math-d4": 0.82})
    grown = MaestroEnv(registry=[*load_registry(), lite], beta=0.3)
    theta = policy.theta.copy()
    after = evaluate(policy, grown, 200)
    assert (policy.theta == theta).all()  # no gradient step
    print(f"\nreturn before/after adding {lite.name}: {before['all']['return']:.3f} -> {after['all']['return']:.3f}; "
          f"math-d2 cost {before['math-d2']['cost']:.2f} -> {after['math-d2']['cost']:.2f}")
    assert first_call(policy, grown, "math-d2") == lite.name and first_call(policy, grown, "math-d4") == lite.name
    assert after["all"]["return"] > before["all"]["return"]
    assert after["qa-2hop"] == before["qa-2hop"]  # other types keep their experts and replies
