"""HILA-v0: decisions, rewards, the vote, the signals block and malformed actions (the contract
itself runs in test_env_contract.py)."""

import numpy as np
import pytest

import envs
from envs.hila.env import HilaEnv
from envs.hila.signals import signals
from envs.hila.solvers import SimulatedSolver
from envs.hila.tasks import TASK_TYPES, TaskSource

ALWAYS = SimulatedSolver(dict.fromkeys(TASK_TYPES, 1.0))
NEVER = SimulatedSolver(dict.fromkeys(TASK_TYPES, 0.0))


def test_every_task_type_grades_its_answer_and_not_its_distractors():
    source = TaskSource()
    for index in range(len(TASK_TYPES)):
        task = source.task("test", index)
        assert task.task_type == TASK_TYPES[index]
        assert task.grade(task.answer) and task.distractors
        assert not any(task.grade(d) for d in task.distractors)
    math = source.task("test", 0)
    assert math.grade(f"I think so. answer: {math.answer}") and not math.grade("no idea")


def test_rewards_are_correctness_minus_the_decision_cost():
    env = HilaEnv(solver=NEVER, expert=ALWAYS, lambda_defer=0.25, lambda_create=0.05)
    env.reset(seed=3)
    wrong_before = list(env.answers)
    assert not any(env.task.grade(a) for a in wrong_before)
    _, rewards, _, _, infos = env.step({"agent_0": "DEFER", "agent_1": "create", "agent_2": "EVAL 0"})
    assert rewards == {"agent_0": pytest.approx(0.75), "agent_1": pytest.approx(-0.05), "agent_2": pytest.approx(0.0)}
    assert all(info["action_valid"] for info in infos.values())
    assert env.task.grade(env.answers[0]) and env.answers[2] == wrong_before[0]  # EVAL adopts the latest answer
    _, rewards, _, _, _ = env.step({"agent_0": "CREATE", "agent_1": "EVAL 0", "agent_2": "EVAL 1"})
    assert rewards["agent_1"] == 1.0 and rewards["agent_2"] == 0.0  # agent 1's answer was still wrong


def test_the_majority_vote_decides_the_game():
    env = HilaEnv(solver=NEVER, expert=ALWAYS, rounds=1)
    env.reset(seed=0)
    _, _, terms, _, infos = env.step({"agent_0": "DEFER", "agent_1": "DEFER", "agent_2": "CREATE"})
    assert all(terms.values()) and not env.agents and infos["agent_0"]["won"] is True
    env.reset(seed=0)
    _, _, _, _, infos = env.step({"agent_0": "CREATE", "agent_1": "CREATE", "agent_2": "DEFER"})
    # One right answer against two wrong ones: they agree (a majority) or all differ (a tie, which
    # goes to agent 0's wrong answer); lost either way.
    assert infos["agent_0"]["won"] is False and not env.task.grade(env.final_answer())


def test_simulated_replies_match_their_accuracy_and_are_deterministic():
    solver = SimulatedSolver({"math-d3": 0.3})
    task = TaskSource(("math-d3",)).task("train", 0)
    right = [task.grade(solver.reply(task, "", (5, i))) for i in range(4000)]
    assert abs(np.mean(right) - 0.3) < 0.03
    assert [solver.reply(task, "", (5, i)) for i in range(50)] == [solver.reply(task, "", (5, i)) for i in range(50)]


def test_signals_block_numbers():
    answers = ["3", "3 ", "5"]
    assert signals(answers, 0) == {"agreement": 0.5, "diversity": 2 / 3, "majority_margin": 1 / 3, "in_majority": 1.0}
    assert signals(answers, 2)["agreement"] == 0.0 and signals(answers, 2)["in_majority"] == 0.0
    env = envs.make("agora/HILA-v0")
    observations, _ = env.reset(seed=1)
    assert "Signals: agreement=" in observations["agent_0"] and "majority_margin=" in observations["agent_0"]


@pytest.mark.parametrize("action, why", [("EVAL 0", "not yourself"), ("EVAL 7", "exactly one of"),
                                         ("DEFER now", "exactly one of"), ("", "exactly one of")])
def test_malformed_decisions_are_explained_and_keep_the_answer(action, why):
    env = HilaEnv()
    env.reset(seed=2)
    before = env.answers[0]
    observations, rewards, _, _, infos = env.step({"agent_0": action, "agent_1": "CREATE", "agent_2": "CREATE"})
    assert infos["agent_0"]["action_valid"] is False and infos["agent_1"]["action_valid"] is True
    assert why in observations["agent_0"] and env.answers[0] == before and rewards["agent_0"] == -0.1


def test_bad_arguments_are_refused_before_any_work():
    for kwargs in ({"n_agents": 1}, {"rounds": 0}, {"lambda_defer": -1}, {"task_types": ("chess",)}, {"split": "dev"}):
        with pytest.raises(ValueError):
            HilaEnv(**kwargs)
    with pytest.raises(ValueError):
        SimulatedSolver({"math-d1": 1.5})
