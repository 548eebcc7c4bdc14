"""HILA's effects with a small meta-policy on CPU (seeded, exact): the learned decisions are the
expected-value optimum, deferral falls as it gets dearer, the outer loop makes the solver better
and the expert less needed, and std normalisation's bias shows."""

import numpy as np
import pytest

from envs.hila.env import DEFAULT_EXPERT_ACCURACY, DEFAULT_SOLVER_ACCURACY, DEFER, HilaEnv
from envs.hila.solvers import PolicySolver, SimulatedSolver
from training.hila import (DualLoopConfig, Groups, InnerConfig, MetaPolicy, evaluate, fit, group_advantages,
                           run_dual_loop, train_meta_policy)

FAST = InnerConfig(iterations=1, episodes=600)


def expected_value_defers(task_type: str, lambda_defer: float, lambda_create: float = 0.03) -> tuple[bool, float]:
    """(defer?, gap) at round 1: peers' round-0 answers are right with the solver's accuracy p, so
    EVAL is worth p, CREATE p - lambda_create, DEFER q - lambda_defer."""
    p, q = DEFAULT_SOLVER_ACCURACY[task_type], DEFAULT_EXPERT_ACCURACY[task_type]
    own = max(p, p - lambda_create)
    return q - lambda_defer > own, abs(q - lambda_defer - own)


def test_group_advantages_golden():
    rewards = np.array([[1.0, 0.0, 0.97, 0.7], [0.5, 0.5, 0.5, 0.5]])
    mean = (1 + 0 + 0.97 + 0.7) / 4
    assert group_advantages(rewards) == pytest.approx(np.array([[1 - mean, -mean, 0.97 - mean, 0.7 - mean], [0, 0, 0, 0]]))
    std = np.sqrt(np.mean((rewards[0] - mean) ** 2))
    assert group_advantages(rewards, normalise_std=True)[0] == pytest.approx((rewards[0] - mean) / std)
    assert not group_advantages(rewards, normalise_std=True)[1].any()  # equal rewards: no signal, no NaN


def test_one_fit_step_is_the_enumerated_policy_gradient():
    """Checked against a finite-difference gradient of sum_g sum_a pi(a|g) A_a."""
    policy = MetaPolicy(("math-d1",), rounds=1)
    policy.theta = np.array([0.3, -0.2, 0.1])
    groups = Groups([np.array([0, 0, 1, 2]), np.array([0, 0, 1, 2])],
                    [np.array([1.0, 0.0, 0.97, 0.7]), np.array([0.0, 0.0, -0.03, 0.7])])
    advantages = group_advantages(np.stack(groups.rewards))

    def objective(theta):
        policy.theta = theta
        return float((policy.probabilities(np.stack(groups.features)) * advantages).sum())

    theta0, eps = np.array([0.3, -0.2, 0.1]), 1e-6
    numeric = np.array([(objective(theta0 + eps * e) - objective(theta0 - eps * e)) / (2 * eps) for e in np.eye(3)])
    policy.theta = theta0.copy()
    fit(policy, groups, epochs=1, lr=1.0, normalise_std=False)
    counts = np.array([4, 2, 2])  # how often each feature appears in the two groups
    assert policy.theta - theta0 == pytest.approx(numeric / counts, abs=1e-6)


def test_mean_centred_policy_learns_the_expected_value_decision():
    env = HilaEnv()
    policy = train_meta_policy(env, FAST)
    print("\ntype      p     q    EV-optimal  learned (round 1)")
    checked = 0
    for task_type in env.source.types:
        defers, gap = expected_value_defers(task_type, env.lambda_defer)
        learned = policy.greedy_kind(task_type, 1)
        print(f"{task_type:8s} {DEFAULT_SOLVER_ACCURACY[task_type]:.2f} {DEFAULT_EXPERT_ACCURACY[task_type]:.2f}  "
              f"{'DEFER' if defers else 'own':10s}  {learned}  (gap {gap:.2f})")
        if gap > 0.05:
            checked += 1
            assert (learned == DEFER) == defers, task_type
    assert checked == len(env.source.types)  # the defaults leave no type within 0.05 of the boundary


def test_defer_rate_never_rises_with_the_cost_of_deferring():
    rates = []
    for lambda_defer in (0.0, 0.15, 0.3, 0.45, 0.8):
        env = HilaEnv(lambda_defer=lambda_defer)
        rates.append(evaluate(env, train_meta_policy(env, InnerConfig(iterations=1, episodes=300)), 150)["all"]["defer_rate"])
    print("\nlambda_defer sweep, defer rate:", [round(r, 3) for r in rates])
    assert all(later <= earlier for earlier, later in zip(rates, rates[1:]))
    assert rates[0] > 0.3 and rates[-1] == 0.0


def test_outer_loop_raises_skill_and_reward_and_lowers_deferral_on_deferred_types():
    logs = run_dual_loop(HilaEnv(), DualLoopConfig(outer_rounds=2, deploy_episodes=200, eval_episodes=150, inner=FAST))
    before, after = logs[0]["table"], logs[1]["table"]
    deferred = [t for t in HilaEnv().source.types if before[t]["defer_rate"] > 0.1]
    print("\nround  type      skill  defer  reward  accuracy")
    for log in logs:
        for t in [*deferred, "all"]:
            row = log["table"][t]
            skill = f"{log['skill'][t]:.2f}" if t in log["skill"] else "  - "
            print(f"{log['round']}      {t:8s}  {skill}  {row['defer_rate']:.2f}   {row['expected_reward']:.3f}   {row['accuracy']:.3f}")
    assert set(deferred) == {"math-d3", "math-d5", "qa-4hop"}  # the expected-value deferrals
    assert logs[0]["examples"] > 0
    for t in deferred:
        assert logs[1]["skill"][t] > logs[0]["skill"][t]
        assert after[t]["defer_rate"] < before[t]["defer_rate"]
    assert after["all"]["expected_reward"] > before["all"]["expected_reward"]


def test_the_dual_loop_refuses_a_solver_it_cannot_fine_tune_before_any_work():
    with pytest.raises(TypeError, match="as_sft_row"):
        run_dual_loop(HilaEnv(solver=PolicySolver(policy=None)))


def test_std_normalisation_under_defers_where_the_expected_value_says_defer():
    """A strong solver (p = 0.62) and a perfect expert: deferring is worth 1 - 0.3 = 0.70 against 0.62
    for adopting a peer, so the optimum defers by a gap of 0.08. Std normalisation weighs the many
    states where every candidate is right (spread: the costs only) as much as the few where only
    the expert is, and learns not to defer; mean-centring learns the optimum."""
    env = HilaEnv(task_types=("math-d3",), rounds=1, solver=SimulatedSolver({"math-d3": 0.62}),
                  expert=SimulatedSolver({"math-d3": 1.0}))
    config = InnerConfig(iterations=1, episodes=1000)
    mean_centred = train_meta_policy(env, config)
    std_normalised = train_meta_policy(env, InnerConfig(iterations=1, episodes=1000, normalise_std=True))
    print("\nmean-centred:", mean_centred.greedy_kind("math-d3", 1), " std-normalised:", std_normalised.greedy_kind("math-d3", 1))
    assert mean_centred.greedy_kind("math-d3", 1) == DEFER
    assert std_normalised.greedy_kind("math-d3", 1) != DEFER
