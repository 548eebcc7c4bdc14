"""Step returns, GRPO (both modes, both statistics) and Dr. MAS: golden numbers and a loop reference."""

import math
import random
import statistics

import numpy as np
import pytest

from training.advantages import ESTIMATORS, discounted_returns, drmas_advantages, grpo_advantages
from training.records import StepRecord


def step(episode, group, turn, obs, reward, valid=True, agent="a"):
    return StepRecord(
        episode_id=episode, group_id=group, agent_id=agent, turn=turn, obs=obs,
        prompt_ids=[1], response_ids=[2], logprobs=[-0.5], reward=reward,
        done=False, action_valid=valid, env="test",
    )


# --- step returns ---------------------------------------------------------------------------


def test_returns_discount_and_invalid_penalty_stays_on_its_step():
    rows = [step("e", "g", 0, "s0", 0.0), step("e", "g", 1, "s1", 0.0, valid=False), step("e", "g", 2, "s2", 1.0)]
    # R2 = 1, R1 = 0 + .95 * 1 - 0.1 (own penalty), R0 = .95^2 * 1 (no penalty carried back)
    np.testing.assert_allclose(discounted_returns(rows), [0.9025, 0.85, 1.0], atol=1e-12)
    np.testing.assert_allclose(discounted_returns(rows, invalid_penalty=0.0), [0.9025, 0.95, 1.0], atol=1e-12)
    np.testing.assert_allclose(discounted_returns(rows, gamma=1.0, invalid_penalty=0.3), [1.0, 0.7, 1.0], atol=1e-12)
    np.testing.assert_allclose(discounted_returns(rows, gamma=0.0, invalid_penalty=0.0), [0.0, 0.0, 1.0], atol=1e-12)


def test_returns_follow_turn_order_not_row_order():
    rows = [step("e", "g", 2, "c", 4.0), step("f", "g", 0, "x", 1.0),
            step("e", "g", 0, "a", 1.0), step("e", "g", 1, "b", 2.0)]
    # trajectory e: rewards by turn [1, 2, 4], gamma .5 -> R = [3, 4, 4]; trajectory f alone: 1
    got = discounted_returns(rows, gamma=0.5, invalid_penalty=0.0)
    np.testing.assert_allclose(got, [4.0, 1.0, 3.0, 4.0], atol=1e-12)


def test_returns_separate_agents_of_one_episode():
    rows = [step("e", "g", 0, "s", 1.0, agent="p"), step("e", "g", 0, "s", 5.0, agent="q"),
            step("e", "g", 1, "s", 2.0, agent="p")]
    np.testing.assert_allclose(discounted_returns(rows, gamma=0.5, invalid_penalty=0.0), [2.0, 5.0, 2.0], atol=1e-12)


# --- GRPO -----------------------------------------------------------------------------------


def grpo_batch():
    # group g: A has 2 steps (total 1), B 1 step (total 0), C 4 steps (total 0); group h: one trajectory
    rows = [step("A", "g", 0, "s", 0.0), step("A", "g", 1, "t", 1.0), step("B", "g", 0, "s", 0.0)]
    rows += [step("C", "g", t, "s", 0.0) for t in range(4)]
    rows += [step("H", "h", 0, "s", 0.25), step("H", "h", 1, "u", 0.25)]
    return rows


def per_row(values_by_trajectory):
    a, b, c, h = values_by_trajectory
    return [a, a, b, c, c, c, c, h, h]


@pytest.mark.parametrize(
    "mode, stats, expected",
    [
        # scores [1, 0, 0]: mean 1/3, unbiased std sqrt(1/3) -> 2/sqrt(3), -1/sqrt(3); lone H keeps 0.5
        ("mean_std_norm", "trajectory", per_row([1.1547005383792517, -0.5773502691896258, -0.5773502691896258, 0.5])),
        ("mean_norm", "trajectory", per_row([0.6666666666666667, -0.3333333333333333, -0.3333333333333333, 0.5])),
        # per step row: [1, 1, 0, 0, 0, 0, 0] mean 2/7, unbiased std sqrt(5/21); H's two equal rows -> 0
        ("mean_std_norm", "step", per_row([1.4638501094227998, -0.5855400437691199, -0.5855400437691199, 0.0])),
        ("mean_norm", "step", per_row([0.7142857142857143, -0.2857142857142857, -0.2857142857142857, 0.0])),
    ],
)
def test_grpo_golden(mode, stats, expected):
    np.testing.assert_allclose(grpo_advantages(grpo_batch(), mode=mode, stats=stats), expected, atol=1e-5)


def test_grpo_rejects_unknown_mode_and_stats():
    with pytest.raises(ValueError, match="mode"):
        grpo_advantages(grpo_batch(), mode="zscore")
    with pytest.raises(ValueError, match="stats"):
        grpo_advantages(grpo_batch(), stats="episode")


# --- Dr. MAS ---------------------------------------------------------------------------------


def drmas_batch():
    rows = [
        step("E1", "g", 0, "p0", 0.0, agent="planner"), step("E1", "g", 1, "p1", 1.0, agent="planner"),
        step("E2", "g", 0, "p0", 0.0, agent="planner"), step("E2", "g", 1, "p1", 0.0, agent="planner"),
        step("E1", "g", 0, "q", 0.2, agent="solver"), step("E2", "g", 0, "q", 0.6, agent="solver"),
        step("E1", "g", 0, "c", 5.0, agent="critic"),  # the only critic step of group g
        step("E3", "h", 0, "q", 0.3, agent="solver"),  # the only step of group h
    ]
    return rows


def test_drmas_golden_agentwise():
    # planner returns [1, 1, 0, 0]: mean .5, unbiased std sqrt(1/3) -> +-sqrt(3)/2
    # solver [0.2, 0.6]: mean .4, std .2*sqrt(2) -> -+1/sqrt(2); singletons keep A = r
    expected = [0.8660254037844386, 0.8660254037844386, -0.8660254037844386, -0.8660254037844386,
                -0.7071067811865476, 0.7071067811865476, 5.0, 0.3]
    np.testing.assert_allclose(drmas_advantages(drmas_batch()), expected, atol=1e-5)
    assert drmas_advantages(drmas_batch())[6] == 5.0 and drmas_advantages(drmas_batch())[7] == 0.3
    np.testing.assert_allclose(drmas_advantages(drmas_batch(), mode="mean_norm"),
                               [0.5, 0.5, -0.5, -0.5, -0.2, 0.2, 5.0, 0.3], atol=1e-12)


def test_drmas_differs_from_pooling_all_agents():
    pooled = grpo_advantages(
        {"episode_id": list(range(6)), "group_id": ["g"] * 6, "turn": [0] * 6, "obs": ["o"] * 6,
         "reward": [1.0, 1.0, 0.0, 0.0, 0.2, 0.6]})
    assert not np.allclose(pooled, drmas_advantages(drmas_batch())[:6])


# --- input handling --------------------------------------------------------------------------


def test_columns_and_records_give_the_same_advantages():
    rows = grpo_batch()
    names = ("episode_id", "group_id", "agent_id", "turn", "obs", "reward", "action_valid")
    columns = {name: [getattr(r, name) for r in rows] for name in names}
    for name in ("grpo", "gigpo", "hgpo", "drmas"):
        estimator = ESTIMATORS.get(name).fn
        kwargs = {"memory_window": 2} if name == "hgpo" else {}
        np.testing.assert_array_equal(estimator(rows, **kwargs), estimator(columns, **kwargs))


def test_empty_batch_gives_empty_advantages():
    for name in ("grpo", "gigpo", "hgpo", "drmas"):
        kwargs = {"memory_window": 1} if name == "hgpo" else {}
        assert ESTIMATORS.get(name).fn([], **kwargs).shape == (0,)


@pytest.mark.parametrize(
    "columns, message",
    [
        ({"episode_id": [0, 0], "group_id": ["g", "g"], "turn": [1, 1], "obs": ["a", "b"], "reward": [0, 1]},
         "repeated turns"),
        ({"episode_id": [0, 0], "group_id": ["g", "h"], "turn": [0, 1], "obs": ["a", "b"], "reward": [0, 1]},
         "several task groups"),
        ({"episode_id": [0], "group_id": ["g"], "turn": [0], "obs": ["a"], "reward": [float("nan")]}, "non-finite"),
        ({"episode_id": [0], "group_id": ["g"], "turn": [0], "obs": ["a"], "reward": [0, 1]}, "differ in length"),
        ({"episode_id": [0], "group_id": ["g"], "turn": [0], "obs": ["a"]}, "missing"),
    ],
)
def test_inconsistent_rows_raise_clear_errors(columns, message):
    with pytest.raises(ValueError, match=message):
        grpo_advantages(columns)


def test_bad_gamma_and_input_type():
    with pytest.raises(ValueError, match="gamma"):
        discounted_returns(grpo_batch(), gamma=1.5)
    with pytest.raises(TypeError):
        grpo_advantages("not rows")


# --- independent loop reference on random batches ---------------------------------------------


def ref_returns(rows, gamma, penalty):
    out = []
    for row in rows:
        mine = [r for r in rows if r.trajectory_key == row.trajectory_key and r.turn >= row.turn]
        later = sorted(mine, key=lambda r: r.turn)
        value = sum(gamma ** n * r.reward for n, r in enumerate(later))
        out.append(value - (0.0 if row.action_valid else penalty))
    return out


def ref_grpo(rows, mode, stats, eps=1e-6):
    def score(key):
        return sum(r.reward for r in rows if r.trajectory_key == key)
    out = []
    for row in rows:
        group_rows = [r for r in rows if r.group_id == row.group_id]
        if stats == "trajectory":
            sample = [score(k) for k in dict.fromkeys(r.trajectory_key for r in group_rows)]
        else:
            sample = [score(r.trajectory_key) for r in group_rows]
        s = score(row.trajectory_key)
        if len(sample) == 1:
            out.append(s)
        elif mode == "mean_norm":
            out.append(s - statistics.fmean(sample))
        else:
            out.append((s - statistics.fmean(sample)) / (statistics.stdev(sample) + eps))
    return out


def ref_drmas(rows, gamma, penalty, mode, eps=1e-6):
    values = ref_returns(rows, gamma, penalty)
    out = []
    for row, value in zip(rows, values):
        sample = [v for r, v in zip(rows, values) if (r.group_id, r.agent_id) == (row.group_id, row.agent_id)]
        if len(sample) == 1:
            out.append(value)
        elif mode == "mean_norm":
            out.append(value - statistics.fmean(sample))
        else:
            out.append((value - statistics.fmean(sample)) / (statistics.stdev(sample) + eps))
    return out


def random_batch(seed, agents=("a",)):
    rng = random.Random(seed)
    rows = []
    for g in range(3):
        for copy in range(rng.randint(1, 4)):
            for agent in agents:
                for t in range(rng.randint(1, 6)):
                    reward = rng.choice([0.0, 0.0, 1.0, 0.5, -0.25])
                    rows.append(step(f"g{g}c{copy}", f"g{g}", t, rng.choice("abc"), reward, rng.random() > 0.2, agent))
    rng.shuffle(rows)
    return rows


@pytest.mark.parametrize("seed", range(6))
def test_returns_grpo_drmas_match_loop_reference(seed):
    rows = random_batch(seed, agents=("p", "q"))
    np.testing.assert_allclose(discounted_returns(rows, 0.9, 0.2), ref_returns(rows, 0.9, 0.2), atol=1e-12)
    for mode in ("mean_std_norm", "mean_norm"):
        for stats in ("trajectory", "step"):
            np.testing.assert_allclose(grpo_advantages(rows, mode, stats), ref_grpo(rows, mode, stats), atol=1e-9)
        np.testing.assert_allclose(drmas_advantages(rows, 0.8, mode, 0.1), ref_drmas(rows, 0.8, 0.1, mode), atol=1e-9)


def test_every_step_of_a_trajectory_shares_its_grpo_advantage():
    rows = random_batch(11)
    adv = grpo_advantages(rows)
    for key in {r.trajectory_key for r in rows}:
        values = {adv[i] for i, r in enumerate(rows) if r.trajectory_key == key}
        assert len(values) == 1
    assert not math.isclose(float(np.abs(adv).sum()), 0.0)
