"""Every estimator gives the same advantages for every row order, and float-noise ties carry no signal."""

import itertools

import numpy as np
import pytest

from training.advantages import drmas_advantages, gigpo_advantages, gigpo_step_advantages, grpo_advantages, hgpo_advantages
from training.advantages.steps import normalise

EPS = 1e-6


def reorder(columns, order):
    return {name: [values[i] for i in order] for name, values in columns.items()}


def in_original_order(advantages, order):
    back = np.empty_like(advantages)
    back[list(order)] = advantages
    return back


def three_reach_one_observation():
    # A and B come to s from x, C from y; terminal returns at s: A -0.3, B -0.2, C -0.4.
    return {"episode_id": ["A", "A", "B", "B", "C", "C"], "group_id": ["g"] * 6, "turn": [0, 1] * 3,
            "obs": ["x", "s", "x", "s", "y", "s"], "reward": [0.0, -0.3, 0.0, -0.2, 0.0, -0.4]}


def test_centred_value_equal_to_the_mean_is_zero_in_every_order():
    # -0.3 is the mean of the three in exact decimal arithmetic; summed in row order it came out
    # 0.0 in some orders and 5.6e-17 in others
    for order in itertools.permutations([-0.3, -0.2, -0.4]):
        centred = dict(zip(order, normalise(np.array(order), "mean_norm", EPS, ddof=0)))
        assert centred[-0.3] == 0.0
        np.testing.assert_allclose([centred[-0.2], centred[-0.4]], [0.1, -0.1], atol=1e-15)


def test_hgpo_three_trajectories_reaching_one_observation_in_all_720_row_orders():
    columns = three_reach_one_observation()
    first = None
    for order in itertools.permutations(range(6)):
        got = in_original_order(hgpo_advantages(reorder(columns, order), memory_window=1), order)
        if first is None:
            first = got
        np.testing.assert_array_equal(got, first)
    # A at s: its k=1 item (-0.3 against mean -0.3) says nothing and is dropped; the k=2 group
    # (x, s) = {A -0.3, B -0.2}: mean -0.25, population std 0.05 -> A = -0.05 / (0.05 + eps) alone,
    # not (2 * 0 + 3 * that) / 5 = -0.6. B: k=1 +0.1 / std(.3,.2,.4) and k=2 +1, weights 2 and 3.
    a_k2 = -0.05 / (0.05 + EPS)
    b_k1 = 0.1 / (np.sqrt(2 / 300) + EPS)
    assert first[1] == pytest.approx(a_k2, abs=1e-12)
    assert first[3] == pytest.approx((2 * b_k1 - 3 * a_k2) / 5, abs=1e-12)
    assert first[5] == pytest.approx(-b_k1, abs=1e-12)  # C's only item: k=1, -0.1 / std


def one_ulp_apart():
    # Return at s: T1 -1 + 0.95 * 1 = -0.04999999999999993, T2 -0.05: equal in exact arithmetic.
    return {"episode_id": ["T1", "T1", "T1", "T2", "T2"], "group_id": ["g"] * 5, "turn": [0, 1, 2, 0, 1],
            "obs": ["p", "s", "e", "q", "s"], "reward": [0.0, -1.0, 1.0, 0.0, -0.05]}


def test_returns_one_ulp_apart_are_tied():
    assert -1 + 0.95 != -0.05  # the float noise this is about
    for mode in ("mean_std_norm", "mean_norm"):
        step = gigpo_step_advantages(one_ulp_apart(), gamma=0.95, mode=mode, invalid_penalty=0.0)
        assert step[1] == 0.0 and step[4] == 0.0
        hgpo = hgpo_advantages(one_ulp_apart(), memory_window=2, gamma=0.95, mode=mode, invalid_penalty=0.0)
        # the (s) group is a tie and every deeper group a singleton: no item, advantage 0
        assert hgpo[1] == 0.0 and hgpo[4] == 0.0


def test_episode_scores_tied_by_float_noise_give_zero_advantages():
    # totals 0.1 + 0.2 (= 0.30000000000000004 in floats) and 0.3
    columns = {"episode_id": ["A", "A", "B"], "group_id": ["g"] * 3, "turn": [0, 1, 0],
               "obs": ["o", "o", "o"], "reward": [0.1, 0.2, 0.3]}
    for mode, stats in itertools.product(("mean_std_norm", "mean_norm"), ("trajectory", "step")):
        assert np.all(grpo_advantages(columns, mode=mode, stats=stats) == 0.0)


# --- shuffled random batches ------------------------------------------------------------------

REWARDS = [0.0, 0.1, 0.2, 0.3, -0.05, -1.0, 0.95, 1.0]  # sums of these tie up to float noise


def random_batch(rng):
    columns = {name: [] for name in ("episode_id", "group_id", "agent_id", "turn", "obs", "reward", "action_valid")}
    for group in range(3):
        for episode in range(4):
            for agent in ("planner", "solver"):
                for turn in range(int(rng.integers(1, 6))):
                    columns["episode_id"].append(f"g{group}e{episode}")
                    columns["group_id"].append(group)
                    columns["agent_id"].append(agent)
                    columns["turn"].append(turn)
                    columns["obs"].append(str(rng.choice(["a", "b", "c"])))
                    columns["reward"].append(float(rng.choice(REWARDS)))
                    columns["action_valid"].append(bool(rng.random() > 0.2))
    return columns


ESTIMATOR_SETTINGS = [
    *[(grpo_advantages, {"mode": m, "stats": s}) for m in ("mean_std_norm", "mean_norm") for s in ("trajectory", "step")],
    *[(gigpo_advantages, {"mode": m, "stats": s}) for m in ("mean_std_norm", "mean_norm") for s in ("trajectory", "step")],
    *[(hgpo_advantages, {"memory_window": k, "mode": m, "base_group": b})
      for k in (0, 1, 3) for m in ("mean_std_norm", "mean_norm") for b in (False, True)],
    *[(drmas_advantages, {"mode": m, "gamma": g}) for m in ("mean_std_norm", "mean_norm") for g in (1.0, 0.95)],
]


@pytest.mark.parametrize("estimator, kwargs", ESTIMATOR_SETTINGS,
                         ids=[f"{e.__name__}-{'-'.join(map(str, k.values()))}" for e, k in ESTIMATOR_SETTINGS])
def test_shuffled_batches_give_bitwise_identical_advantages(estimator, kwargs):
    rng = np.random.default_rng(0)
    for _ in range(6):
        columns = random_batch(rng)
        expected = estimator(columns, **kwargs)
        for _ in range(4):
            order = rng.permutation(len(columns["reward"]))
            got = in_original_order(estimator(reorder(columns, order), **kwargs), order)
            np.testing.assert_array_equal(got, expected)
