"""HouseholdEnv: the TextEnv contract, reset options, rewards, the step limit, registration."""

from __future__ import annotations

import warnings

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env

import envs
from envs.household.env import HouseholdEnv
from envs.household.generator import SPLITS, split_task
from envs.household.registration import register_household_envs
from envs.household.tasks import TASK_TYPES
from tests.test_household_world import bedroom_spec, kitchen_spec

ENV_ID = "agora/Household-v0"


@pytest.fixture(scope="module", autouse=True)
def registered():
    try:
        envs.spec(ENV_ID)
    except KeyError:  # until envs/builtin.py calls register_household_envs()
        register_household_envs()


def test_registered_in_the_household_family():
    spec = envs.spec(ENV_ID)
    assert (spec.family, spec.engine, spec.interface, spec.kind) == ("household", "native", "text", "single")
    assert spec.splits == SPLITS and spec.goal_based
    env = envs.make(ENV_ID, task_types="pick_two_obj_and_place", difficulty="easy")
    obs, info = env.reset(seed=0)
    assert obs.startswith("-= Welcome to TextWorld, ALFRED! =-\n\n") and "Your task is to: " in obs
    assert info["task"].startswith(("put two", "find two"))
    env.close()
    assert gymnasium.make(ENV_ID).reset(seed=1)[0]


def test_gymnasium_env_checker_passes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(HouseholdEnv(), skip_render_check=True)


def test_reset_by_split_and_index_plays_that_entry():
    env = HouseholdEnv()
    obs, info = env.reset(options={"split": "eval_out_of_distribution", "index": 7})
    spec = split_task("eval_out_of_distribution", 7)
    assert env.task_spec == spec
    assert info["task"] == spec.goal + "."
    assert obs.endswith(f"Your task is to: {spec.goal}.")
    env.reset(options={"split": "eval_in_distribution", "index": 3, "task_type": "look_at_obj_in_light"})
    assert env.task_spec == split_task("eval_in_distribution", 3, "look_at_obj_in_light")
    _, _, _, _, info = env.step("look")
    assert (info["task_type"], info["task_name"]) == ("look_at_obj_in_light", "eval_in_distribution/look_at_obj_in_light/3")


def test_seed_alone_picks_a_task_deterministically_and_respects_task_types():
    env = HouseholdEnv(task_types=["pick_heat_then_place_in_recep", "pick_cool_then_place_in_recep"])
    names = []
    for seed in range(20):
        env.reset(seed=seed)
        names.append(env.task_spec.name)
        assert env.task_spec.task_type in env.task_types
    again = []
    for seed in range(20):
        env.reset(seed=seed)
        again.append(env.task_spec.name)
    assert names == again and len(set(names)) > 10


def test_reset_with_a_spec_or_its_dict():
    env = HouseholdEnv()
    obs, _ = env.reset(options={"task": kitchen_spec()})
    assert obs.endswith("Your task is to: put a clean mug in coffeemachine.")
    env.reset(options={"task": bedroom_spec().to_dict()})
    assert env.task_spec == bedroom_spec()


@pytest.mark.parametrize(
    "options, error",
    [
        ({"splitt": "train"}, ValueError),
        ({"split": "test"}, ValueError),
        ({"index": 6000}, ValueError),
        ({"index": "3"}, ValueError),
        ({"difficulty": "nightmare"}, ValueError),
        ({"task": 42}, TypeError),
        ({"task": {"goal": "x"}}, ValueError),
    ],
)
def test_bad_reset_options_are_clear_errors(options, error):
    with pytest.raises(error):
        HouseholdEnv().reset(seed=0, options=options)


def test_task_type_outside_the_env_is_rejected():
    with pytest.raises(ValueError, match="not among"):
        HouseholdEnv(task_types="pick_and_place_simple").reset(options={"task_type": "look_at_obj_in_light"})


@pytest.mark.parametrize(
    "kwargs", [{"task_types": "make_coffee"}, {"task_types": []}, {"split": "dev"}, {"max_steps": 0}, {"difficulty": "x"}]
)
def test_bad_constructor_arguments_are_value_errors(kwargs):
    with pytest.raises(ValueError):
        HouseholdEnv(**kwargs)


def test_a_won_episode_gives_reward_one_and_terminates():
    env = HouseholdEnv()
    env.reset(options={"task": kitchen_spec()})
    rewards = []
    for action in ["go to cabinet 1", "open cabinet 1", "take mug 1 from cabinet 1", "go to sinkbasin 1",
                   "clean mug 1 with sinkbasin 1", "go to coffeemachine 1"]:
        _, reward, terminated, truncated, info = env.step(action)
        rewards.append(reward)
        assert not (terminated or truncated or info["won"])
    obs, reward, terminated, truncated, info = env.step("move mug 1 to coffeemachine 1")
    assert (obs, reward, terminated, truncated, info["won"]) == ("You move the mug 1 to the coffeemachine 1.", 1.0, True, False, True)
    assert rewards == [0.0] * 6
    assert info["admissible_actions"] == []
    obs, reward, terminated, _, info = env.step("look")
    assert "over" in obs and reward == 0.0 and terminated and info["action_valid"] is False


def test_shaped_reward_pays_each_milestone_once_and_charges_putting_the_goal_object_down_elsewhere():
    env = HouseholdEnv(shaped_reward=True)
    env.reset(options={"task": kitchen_spec()})  # put a clean mug in coffeemachine
    script = ["go to cabinet 1", "open cabinet 1", "take mug 1 from cabinet 1", "go to sinkbasin 1",
              "clean mug 1 with sinkbasin 1", "move mug 1 to sinkbasin 1", "take mug 1 from sinkbasin 1",
              "go to coffeemachine 1", "move mug 1 to coffeemachine 1"]
    rewards = [env.step(a)[1] for a in script]
    # holding and cleaning pay once; the mug put down in the sink costs 0.1, holding it again pays nothing
    assert rewards == [0.0, 0.0, 0.1, 0.0, 0.1, -0.1, 0.0, 0.0, 1.0]


def test_shaped_reward_does_not_charge_putting_other_objects_down():
    env = HouseholdEnv(shaped_reward=True)
    env.reset(options={"task": kitchen_spec()})
    script = ["go to countertop 1", "take knife 1 from countertop 1", "go to sinkbasin 1", "move knife 1 to sinkbasin 1"]
    assert [env.step(a)[1] for a in script] == [0.0, 0.0, 0.0, 0.0]


def test_shaped_reward_charges_putting_the_object_down_in_look_tasks():
    env = HouseholdEnv(shaped_reward=True)
    env.reset(options={"task": bedroom_spec()})  # look at book under the desklamp: no target receptacle
    script = ["go to bed 1", "take book 1 from bed 1", "go to desk 1", "move book 1 to desk 1", "take book 1 from desk 1"]
    assert [env.step(a)[1] for a in script] == [0.0, 0.1, 0.0, -0.1, 0.0]


def test_shaped_reward_charges_a_premature_placement_not_its_fix():
    env = HouseholdEnv(shaped_reward=True)
    env.reset(options={"task": kitchen_spec()})  # put a clean mug in coffeemachine
    script = ["go to cabinet 1", "open cabinet 1", "take mug 1 from cabinet 1", "go to coffeemachine 1",
              "move mug 1 to coffeemachine 1", "take mug 1 from coffeemachine 1", "go to sinkbasin 1",
              "clean mug 1 with sinkbasin 1", "go to coffeemachine 1", "move mug 1 to coffeemachine 1"]
    rewards = [env.step(a)[1] for a in script]
    # put down in the target before cleaning it: no win, costs 0.1; taking it back out is free
    assert rewards == [0.0, 0.0, 0.1, 0.0, -0.1, 0.0, 0.0, 0.1, 0.0, 1.0]


def test_shaped_reward_on_two_object_tasks_pays_the_second_object_and_charges_taking_one_back():
    from envs.household.generator import split_task

    env = HouseholdEnv(shaped_reward=True, task_types="pick_two_obj_and_place")
    env.reset(options={"task": split_task("train", 3, "pick_two_obj_and_place")})
    rewards, undone = [], 0
    while True:
        action = env.expert_action()
        _, reward, terminated, truncated, info = env.step(action)
        rewards.append(reward)
        if action.startswith("move") and not undone:
            take_back = action.replace("move", "take", 1).replace(" to ", " from ", 1)
            for _ in range(2):  # each undo costs again; placing again pays nothing new
                rewards += [env.step(take_back)[1], env.step(action)[1]]
            undone = 1
        if terminated or truncated:
            break
    assert info["won"]
    # holding +0.1, first placed +0.1, (take back -0.1, place again 0) x 2, holding the second +0.1, win 1
    assert sorted(r for r in rewards if r) == pytest.approx([-0.1, -0.1, 0.1, 0.1, 0.1, 1.0])
    assert rewards[-1] == 1.0


def test_type_weights_skew_seeded_draws_but_not_indexed_entries():
    import collections

    weighted = HouseholdEnv(type_weights={"pick_two_obj_and_place": 5})  # 5 / (5 + 5 x 1) = half
    drawn = collections.Counter(weighted.reset(seed=s)[1]["task_type"] for s in range(600))
    assert 250 < drawn["pick_two_obj_and_place"] < 350
    assert all(30 < drawn[t] < 90 for t in TASK_TYPES if t != "pick_two_obj_and_place")
    plain = HouseholdEnv()
    for i in range(12):  # a fixed evaluation panel is the same with or without weights
        assert weighted.reset(options={"index": i})[0] == plain.reset(options={"index": i})[0]
    only_two = HouseholdEnv(task_types=["pick_and_place_simple", "look_at_obj_in_light"], type_weights={"look_at_obj_in_light": 0})
    assert {only_two.reset(seed=s)[1]["task_type"] for s in range(50)} == {"pick_and_place_simple"}
    for bad, match in [({"pick_two_obj_and_place": -1}, "non-negative"), ({"flying": 1}, "not among"),
                       ({t: 0 for t in TASK_TYPES}, "not all zero"), (["pick_two_obj_and_place"], "dict")]:
        with pytest.raises((ValueError, TypeError), match=match):
            HouseholdEnv(type_weights=bad)


def test_invalid_actions_say_nothing_happens_and_count_as_steps():
    env = HouseholdEnv(max_steps=3)
    env.reset(options={"task": kitchen_spec()})
    for action in ["", "fly to the moon", "\x00\u202e" * 50]:
        obs, reward, terminated, truncated, info = env.step(action)
        assert (obs, reward, terminated, info["action_valid"]) == ("Nothing happens.", 0.0, False, False)
    assert truncated


def test_step_limit_truncates_at_fifty_by_default():
    env = HouseholdEnv()
    env.reset(seed=0)
    assert env.max_steps == 50
    for step in range(1, 51):
        _, _, terminated, truncated, info = env.step("look")
        assert info["action_valid"] and not terminated
        assert truncated == (step == 50)


def test_unicode_observations_stay_printable_and_transcripts_repeat():
    def transcript(seed):
        env = HouseholdEnv()
        obs, info = env.reset(seed=seed)
        out = [obs]
        for _ in range(12):
            obs, reward, terminated, truncated, info = env.step(env.expert_action())
            out.append((obs, reward, terminated, truncated, tuple(info["admissible_actions"])))
            if terminated or truncated:
                break
        return out

    assert transcript(11) == transcript(11)
    assert transcript(11) != transcript(12)


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_expert_episode_through_envs_make(task_type):
    env = envs.make(ENV_ID, task_types=task_type)
    env.reset(seed=5)
    for _ in range(50):
        _, reward, terminated, truncated, info = env.step(env.unwrapped.expert_action())
        if terminated or truncated:
            break
    assert info["won"] and reward == 1.0 and terminated


def test_potential_shaping_pays_progress_and_charges_undoing_it():
    env = HouseholdEnv(shaped_reward="potential")
    env.reset(options={"task": kitchen_spec()})
    script = ["go to cabinet 1", "open cabinet 1", "take mug 1 from cabinet 1", "go to sinkbasin 1",
              "clean mug 1 with sinkbasin 1", "move mug 1 to sinkbasin 1", "take mug 1 from sinkbasin 1",
              "go to coffeemachine 1", "move mug 1 to coffeemachine 1"]
    rewards = [env.step(a)[1] for a in script]
    # holding +0.1, clean +0.1, put down elsewhere -0.1, picked up again +0.1, win 1 (and no longer holding -0.1)
    assert rewards == pytest.approx([0.0, 0.0, 0.1, 0.0, 0.1, -0.1, 0.1, 0.0, 0.9])


def test_potential_shaping_on_two_object_tasks_charges_taking_the_first_back():
    from envs.household.generator import split_task

    env = HouseholdEnv(shaped_reward="potential", task_types="pick_two_obj_and_place")
    _, info = env.reset(options={"task": split_task("train", 3, "pick_two_obj_and_place")})
    total, undone = 0.0, False
    while True:
        action = env.expert_action()
        _, reward, terminated, truncated, info = env.step(action)
        total += reward
        if action.startswith("move") and not undone:
            assert reward == pytest.approx(0.1)  # placed +0.2, no longer holding -0.1
            take_back = action.replace("move", "take", 1).replace(" to ", " from ", 1)
            back, again = env.step(take_back)[1], env.step(action)[1]
            assert (back, again) == (pytest.approx(-0.1), pytest.approx(0.1))  # undone, then redone
            total, undone = total + back + again, True
        if terminated or truncated:
            break
    assert undone and info["won"]
    assert total == pytest.approx(1.0 + 0.2)  # bonuses telescope: the win plus phi(end) (objects placed)
    with pytest.raises(ValueError, match="shaped_reward"):
        HouseholdEnv(shaped_reward="sometimes")


def test_indexed_entries_of_a_type_subset_cycle_through_the_types():
    types = ["pick_two_obj_and_place", "pick_heat_then_place_in_recep"]
    env = HouseholdEnv(task_types=types, split="eval_in_distribution")
    names = [env.reset(seed=0, options={"index": i})[1]["task_name"] for i in range(4)]
    assert names == [f"eval_in_distribution/{types[0]}/0", f"eval_in_distribution/{types[1]}/0",
                     f"eval_in_distribution/{types[0]}/1", f"eval_in_distribution/{types[1]}/1"]
    env.reset(options={"index": 59})  # 30 tasks per type in this split: 60 entries in all
    with pytest.raises(ValueError, match="index"):
        env.reset(options={"index": 60})


def test_revisit_cost_charges_each_step_back_into_a_state_already_seen():
    env = HouseholdEnv(shaped_reward=True, revisit_cost=0.02)
    env.reset(options={"task": kitchen_spec()})  # put a clean mug in coffeemachine
    script = ["go to cabinet 1", "go to countertop 1", "go to cabinet 1",  # back where it stood: same world
              "open cabinet 1", "close cabinet 1", "open cabinet 1",  # closed again = the state of step 3
              "look", "take mug 1 from cabinet 1", "go to sinkbasin 1", "clean mug 1 with sinkbasin 1",
              "clean mug 1 with sinkbasin 1",  # cleaning a clean mug changes nothing
              "go to coffeemachine 1", "move mug 1 to coffeemachine 1"]
    rewards = [env.step(a)[1] for a in script]
    assert rewards == pytest.approx([0.0, 0.0, -0.02, 0.0, -0.02, -0.02, -0.02, 0.1, 0.0, 0.1, -0.02, 0.0, 1.0])
    assert HouseholdEnv(revisit_cost=0.0).revisit_cost == 0.0  # off by default: no state kept
    for bad in (-0.1, 2, "a", True):
        with pytest.raises(ValueError, match="revisit_cost"):
            HouseholdEnv(revisit_cost=bad)
