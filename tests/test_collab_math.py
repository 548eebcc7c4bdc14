"""Collaborative math: the generator's answers follow from the text alone, the turn loop, rewards and parsing."""

from __future__ import annotations

import re

import numpy as np
import pytest

import envs
from envs.collab_math.env import CollabMathEnv, parse_answer, parse_verdict
from envs.collab_math.problems import SPLITS, candidate_answers, make_problem
from envs.collab_math.registration import SPLITS as REGISTERED_SPLITS

RULES = [  # an independent reading of every sentence kind the generator writes
    (re.compile(r"\w+ has (\d+) \w+\.$"), lambda total, m: int(m[1])),
    (re.compile(r"finds (\d+) more"), lambda total, m: total + int(m[1])),
    (re.compile(r"gives (\d+) \w+ to"), lambda total, m: total - int(m[1])),
    (re.compile(r"buys (\d+) \w+ with (\d+) \w+ in each"), lambda total, m: total + int(m[1]) * int(m[2])),
    (re.compile(r"has doubles\.$"), lambda total, m: total * 2),
    (re.compile(r"has triples\.$"), lambda total, m: total * 3),
    (re.compile(r"equally among (\d+) people"), lambda total, m: total / int(m[1])),
]


def solve_from_text(text: str) -> float:
    total = None
    for sentence in re.findall(r"[^.?]+[.?]", text):
        for pattern, apply in RULES:
            match = pattern.search(sentence)
            if match:
                total = apply(total, match)
                assert total >= 0
                break
        else:
            assert sentence.strip().startswith("How many"), sentence
    return total


def play(env, moves):
    """Step the acting agent's moves (the other agent waits); return the last step's results."""
    for move in moves:
        actions = {a: (move if info_acting else "wait") for a, info_acting in ((a, a == env.acting) for a in env.agents)}
        result = env.step(actions)
    return result


def test_registered_splits_are_the_generators():
    assert REGISTERED_SPLITS == SPLITS
    assert envs.spec("CollabMath-v0").kind == "multi"


@pytest.mark.parametrize("difficulty", [1, 2, 3, 4, 5])
def test_expert_team_solves_every_generated_problem_and_the_text_alone_gives_the_answer(difficulty):
    env = CollabMathEnv(difficulty=difficulty)
    for split in SPLITS:
        for index in range(30):
            env.reset(seed=0, options={"split": split, "index": index})
            assert solve_from_text(env.problem.text) == env.problem.answer
            while env.agents:
                _, rewards, _, _, infos = env.step(env.expert_actions())
            assert rewards == {"solver": 1.0, "verifier": 1.0} and infos["solver"]["won"]
    assert len(make_problem("train", 0, difficulty).values) == difficulty + 2  # the start and d + 1 operations


def test_problems_are_identical_on_every_machine_and_splits_use_different_seeds():
    golden = make_problem("test", 0, 3)
    assert golden.text == ("Elsin has 26 coins. Then Elsin finds 16 more coins. Then Elsin finds 17 more coins. "
                           "Then the number of coins Elsin has triples. Then Elsin gives 154 coins to a brother. "
                           "How many coins does Elsin have now?")
    assert golden.answer == 23  # (26 + 16 + 17) * 3 - 154
    train = {make_problem("train", i, 4).text for i in range(300)}
    test = {make_problem("test", i, 4).text for i in range(300)}
    assert len(train) == 300 and len(test) == 300 and not train & test
    with pytest.raises(ValueError, match="index"):
        make_problem("test", 500, 2)


def test_reject_loops_back_to_the_solver_and_the_last_loop_ends_with_the_final_answer_judged():
    env = CollabMathEnv(max_loops=2)
    env.reset(seed=0, options={"split": "test", "index": 0})
    answer = env.problem.answer
    observations, rewards, terms, _, infos = play(env, [f"answer: {answer + 1}", "reject: step 2 is off"])
    assert env.acting == "solver" and infos["solver"]["to_act"] and not terms["solver"]
    assert "'step 2 is off'" in observations["solver"] and rewards == {"solver": 0.0, "verifier": 0.0}
    _, rewards, terms, _, infos = play(env, [f"The answer is {answer}.", "reject: still unsure"])
    assert terms == {"solver": True, "verifier": True} and env.agents == []
    assert rewards == {"solver": 1.0, "verifier": 1.0} and infos["verifier"]["won"]  # the last answer was right


def test_approving_a_wrong_answer_loses_for_the_whole_team():
    env = CollabMathEnv()
    env.reset(seed=0, options={"split": "test", "index": 1})
    _, rewards, terms, _, infos = play(env, [f"answer: {env.problem.answer + 2}", "approve"])
    assert all(terms.values()) and rewards == {"solver": 0.0, "verifier": 0.0} and not infos["solver"]["won"]


def test_invalid_actions_cost_only_the_acting_agent_and_a_waiting_agent_must_wait():
    env = CollabMathEnv(invalid_penalty=0.25)
    env.reset(seed=0)
    _, rewards, _, _, infos = env.step({"solver": "I think it is big", "verifier": "approve"})
    assert rewards == {"solver": -0.25, "verifier": 0.0}
    assert infos["solver"]["action_valid"] is False and infos["verifier"]["action_valid"] is False
    assert env.acting == "solver"  # the turn was wasted, not passed
    env.step({"solver": "answer: 3", "verifier": "wait"})
    _, rewards, _, _, infos = env.step({"solver": "wait", "verifier": "reject"})  # no reason given
    assert rewards == {"solver": 0.0, "verifier": -0.25} and infos["verifier"]["action_valid"] is False


def test_a_stuck_team_is_truncated_after_four_turns_per_loop():
    env = CollabMathEnv(max_loops=2)
    env.reset(seed=0)
    for turn in range(8):
        _, rewards, terms, truncs, _ = env.step({"solver": "no idea", "verifier": "wait"})
    assert truncs == {"solver": True, "verifier": True} and not any(terms.values()) and env.agents == []
    assert rewards == {"solver": -0.1, "verifier": 0.0}


def test_candidates_list_the_right_answer_once_among_distinct_plausible_mistakes():
    env = CollabMathEnv(candidates=4, difficulty=3)
    for index in range(50):
        _, infos = env.reset(seed=index, options={"split": "test", "index": index})
        choices = infos["solver"]["admissible_actions"]
        assert len(choices) == len(set(choices)) == 4 and choices.count(f"answer: {env.problem.answer}") == 1
    assert candidate_answers(make_problem("test", 0, 1), 3, np.random.default_rng(0)).count(12) == 1


@pytest.mark.parametrize("text, value", [("answer: 42", 42), ("Answer = 1,200", 1200), ("the answer is -3.5", -3.5),
                                         (" 17. ", 17), ("<b>answer:7</b>", 7), ("seven", None), ("", None),
                                         ("42 or 43", None), ("To answer this, 3 + 4 = 7. Answer: 7", 7),
                                         ("answer: 5, no wait, answer: 8", 8)])
def test_answers_parse_robustly(text, value):
    assert parse_answer(text) == value


@pytest.mark.parametrize("text, verdict", [("approve", ("approve", "")), ("Approved.", ("approve", "")),
                                           ("reject: 5 is wrong", ("reject", "5 is wrong")),
                                           ("Reject - recheck step 2", ("reject", "recheck step 2")),
                                           ("reject", None), ("maybe", None), ("", None)])
def test_verdicts_parse_robustly(text, verdict):
    assert parse_verdict(text) == verdict


def test_bad_options_are_refused_before_any_work():
    for kwargs in ({"difficulty": 6}, {"max_loops": 0}, {"candidates": 1}, {"split": "dev"}, {"invalid_penalty": -1}):
        with pytest.raises(ValueError):
            CollabMathEnv(**kwargs)
