"""The searching household expert: it acts only on what the player has seen, and still wins."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

import envs
from envs.household.env import HouseholdEnv
from envs.household.expert import plan
from envs.household.generator import split_task
from envs.household.search_expert import search_action
from envs.household.world import HouseholdWorld


def play(env: HouseholdEnv, limit: int = 50) -> tuple[list[str], bool]:
    actions = []
    for _ in range(limit):
        action = env.expert_action()
        actions.append(action)
        _, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            break
    return actions, bool(info["won"])


def test_it_searches_the_places_that_could_hold_the_object_then_plans():
    env = HouseholdEnv(expert="search")
    env.reset(seed=0, options={"split": "eval_in_distribution", "index": 0})  # put some spraybottle on drawer
    actions, won = play(env)
    # Places that need no opening come first (countertop, garbagecan, toilet: the bathtubbasin
    # cannot hold a spraybottle), then cabinet 2, where both spraybottles lie.
    assert actions == [
        "go to countertop 1", "go to garbagecan 1", "go to toilet 1", "go to cabinet 2", "open cabinet 2",
        "take spraybottle 2 from cabinet 2", "go to drawer 3", "open drawer 3", "move spraybottle 2 to drawer 3",
    ]
    assert won


def test_its_choices_do_not_depend_on_where_unseen_objects_lie():
    env = HouseholdEnv()
    env.reset(seed=0, options={"split": "eval_in_distribution", "index": 0})
    spec = env.task_spec
    moved = dataclasses.replace(spec, objects=[
        dataclasses.replace(o, receptacle="cabinet 1") if o.type == "spraybottle" else o for o in spec.objects
    ])
    first = HouseholdWorld(spec)
    second = HouseholdWorld(moved)
    assert plan(first)[0] != plan(second)[0]  # the planner reads the hidden placement
    for world in (first, second):
        for _ in range(3):  # countertop, garbagecan, toilet: no spraybottle in either game
            world.execute(search_action(world))
    assert first.location == second.location == "toilet 1"
    for world in (first, second):  # the same search in both until a cabinet shows what it holds
        steps = []
        for _ in range(2):
            steps.append(search_action(world))
            world.execute(steps[-1])
        assert steps == ["go to cabinet 2", "open cabinet 2"]
    assert search_action(first) == "take spraybottle 2 from cabinet 2"
    assert search_action(second) == "go to cabinet 1"  # cabinet 2 is empty in the second game


def test_world_observed_holds_the_receptacles_whose_contents_were_shown():
    world = HouseholdWorld(split_task("eval_in_distribution", 0))
    assert world.observed == set()
    world.execute("go to cabinet 2")
    assert world.observed == set()  # closed: its contents were not shown
    world.execute("open cabinet 2")
    world.execute("go to countertop 1")
    assert world.observed == {"cabinet 2", "countertop 1"}
    assert world.clone().observed == world.observed and world.clone().observed is not world.observed


@pytest.mark.parametrize("split", ["eval_in_distribution", "eval_out_of_distribution"])
def test_it_wins_every_task_and_never_beats_the_planner(split):
    searcher, planner = HouseholdEnv(expert="search"), HouseholdEnv()
    for index in range(0, 180, 6):  # every task type, 30 tasks
        options = {"split": split, "index": index}
        searcher.reset(seed=0, options=options)
        planner.reset(seed=0, options=options)
        searched, won = play(searcher)
        planned, planner_won = play(planner)
        assert won and planner_won, (split, index, searched)
        assert len(searched) >= len(planned)  # the planner is optimal


def test_expert_kwarg_is_checked_and_reaches_the_registered_env():
    with pytest.raises(ValueError, match="expert must be one of"):
        HouseholdEnv(expert="oracle")
    env = envs.make("agora/Household-v0", expert="search")
    env.reset(seed=0, options={"split": "eval_in_distribution", "index": 0})
    assert env.unwrapped.expert_action() == "go to countertop 1"


def test_the_check_script_runs_the_searching_expert_and_rejects_bad_limits():
    script = [sys.executable, str(Path(__file__).parents[1] / "scripts" / "household_expert_check.py")]
    done = subprocess.run(script + ["--n", "2", "--split", "eval_in_distribution", "--expert", "search"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "ALL SOLVED" in done.stdout and "expert=search" in done.stdout
    capped = subprocess.run(script + ["--n", "2", "--split", "eval_in_distribution", "--expert", "search",
                                      "--max-steps", "3"], capture_output=True, text=True, timeout=120)
    assert capped.returncode == 1 and "SOME TASKS UNSOLVED" in capped.stdout  # a search takes more than 3 steps
    bad = subprocess.run(script + ["--max-steps", "0"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--max-steps must be >= 1" in bad.stderr
