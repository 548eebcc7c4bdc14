"""agora/TextWorld-v0: games from TextWorld's own generator, the on-disk cache, splits, rewards, the expert."""

from __future__ import annotations

import pytest

import envs
from envs.textworld import games
from envs.textworld.env import SPLIT_SEEDS, SPLITS, TextWorldEnv

CHALLENGE_SETTINGS = {
    "coin_collector": {"level": 5},
    "treasure_hunter": {"level": 5},
    "cooking": {"recipe": 2, "take": 2, "go": 6, "open": True, "cut": True},
    "custom": {"world_size": 3, "nb_objects": 5, "quest_length": 3},
}


@pytest.fixture(scope="module")
def cache_dir():
    """The suite's game cache (tests/conftest.py points AGORA_TEXTWORLD_CACHE at it): reruns generate nothing."""
    return games.default_cache_dir()


def play_expert(env: TextWorldEnv, **reset_kwargs) -> tuple[float, dict, int]:
    env.reset(**reset_kwargs)
    return finish_with_expert(env)


def finish_with_expert(env: TextWorldEnv) -> tuple[float, dict, int]:
    """Play the expert to the end of the episode: (return, last info, steps); every action valid."""
    total, steps = 0.0, 0
    while True:
        _, reward, terminated, truncated, info = env.step(env.expert_action())
        total, steps = total + reward, steps + 1
        assert info["action_valid"]
        if terminated or truncated:
            return total, info, steps


@pytest.mark.parametrize("challenge", sorted(CHALLENGE_SETTINGS))
def test_the_walkthrough_wins_a_generated_game(challenge, cache_dir):
    env = TextWorldEnv(challenge=challenge, settings=CHALLENGE_SETTINGS[challenge], n_games=3, cache_dir=cache_dir)
    try:
        total, info, steps = play_expert(env, seed=0, options={"split": "test", "index": 1})
        assert info["won"] and info["score"] == info["max_score"] and total == pytest.approx(1.0)
        walkthrough = env._tw.reset()["extra.walkthrough"]
        assert steps == len(walkthrough)
    finally:
        env.close()


def test_a_second_call_reads_the_cache_and_generates_nothing(tmp_path, monkeypatch):
    cache_dir = str(tmp_path)
    path, generated = games.game_file("treasure_hunter", {"level": 2}, seed=7, cache_dir=cache_dir)
    assert generated and path.startswith(cache_dir)

    def no_generation(*args):
        raise AssertionError("the game was generated again")

    monkeypatch.setattr(games, "_generate", no_generation)
    assert games.game_file("treasure_hunter", {"level": 2}, seed=7, cache_dir=cache_dir) == (path, False)
    # The key is the full settings: TextWorld's defaults filled in name the same game.
    full = games.challenge_settings("treasure_hunter", {"level": 2})
    assert games.game_file("treasure_hunter", full, seed=7, cache_dir=cache_dir) == (path, False)
    with pytest.raises(AssertionError, match="generated again"):
        games.game_file("treasure_hunter", {"level": 2}, seed=8, cache_dir=cache_dir)


def test_the_cache_dir_defaults_to_an_overridable_location(monkeypatch, tmp_path):
    monkeypatch.setenv("AGORA_TEXTWORLD_CACHE", str(tmp_path))
    assert games.default_cache_dir() == str(tmp_path)
    monkeypatch.delenv("AGORA_TEXTWORLD_CACHE")
    assert games.default_cache_dir().endswith(".cache/agora/textworld")


def test_train_and_test_games_come_from_disjoint_seeds(cache_dir):
    env = TextWorldEnv(challenge="coin_collector", n_games=50, cache_dir=cache_dir)
    seeds = {split: {env.game_seed(split, i) for i in range(env.n_games)} for split in SPLITS}
    assert not seeds["train"] & seeds["test"]
    env.reset(seed=0, options={"split": "train", "index": 0})
    train_game = env.game_path
    env.reset(seed=0, options={"split": "test", "index": 0})
    assert env.game_path != train_game
    with pytest.raises(ValueError, match="overlap"):
        TextWorldEnv(n_games=SPLIT_SEEDS["test"] + 1)
    env.close()


def test_settings_are_checked_by_textworlds_own_parser():
    with pytest.raises(ValueError, match="unknown coin_collector settings"):
        games.challenge_settings("coin_collector", {"levle": 3})
    with pytest.raises(ValueError, match="bad coin_collector settings"):
        games.challenge_settings("coin_collector", {"level": "hard"})
    with pytest.raises(ValueError, match="challenge must be one of"):
        TextWorldEnv(challenge="zork")
    assert games.challenge_settings("cooking", {"recipe": 2})["go"] == 1  # TextWorld's default


def test_rewards_are_the_score_change_over_the_max_score(cache_dir):
    env = TextWorldEnv(challenge="cooking", settings=CHALLENGE_SETTINGS["cooking"], n_games=3, cache_dir=cache_dir)
    try:
        env.reset(seed=0, options={"split": "test", "index": 1})
        rewards = []
        while True:
            _, reward, terminated, truncated, info = env.step(env.expert_action())
            rewards.append(reward)
            if terminated or truncated:
                break
        max_score = info["max_score"]
        assert max_score > 1 and sum(r > 0 for r in rewards) == max_score  # one point per recipe step
        assert all(r in (0.0, 1 / max_score) for r in rewards)
    finally:
        env.close()


def test_shaped_reward_is_textworlds_intermediate_reward(cache_dir):
    opposite = {"north": "south", "south": "north", "east": "west", "west": "east"}
    env = TextWorldEnv(challenge="coin_collector", settings={"level": 5}, n_games=3, cache_dir=cache_dir, shaped_reward=0.1)
    try:
        env.reset(seed=0, options={"index": 0})
        forward = env.expert_action()
        assert env.step(forward)[1] == pytest.approx(0.1)  # one step closer to the coin
        assert env.step("go " + opposite[forward.split()[1]])[1] == pytest.approx(-0.1)  # back: farther
        assert env.step("look")[1] == 0.0
        total, info, _ = finish_with_expert(env)
        assert info["won"] and total == pytest.approx(1.0 + 0.1 * 5)  # 4 moves and the coin, each +0.1, plus the score
    finally:
        env.close()


def test_bad_actions_and_the_admissible_switch(cache_dir):
    env = TextWorldEnv(challenge="coin_collector", n_games=3, cache_dir=cache_dir)
    try:
        _, info = env.reset(seed=0, options={"index": 2})
        assert "look" in info["admissible_actions"] and env.expert_action() in info["admissible_actions"]
        for action in ("", "x" * 100_000, "tak\u00e9 coin", "dance wildly"):
            obs, reward, terminated, _, info = env.step(action)
            assert info["action_valid"] is False and obs and reward == 0 and not terminated, action[:20]
        total, info, _ = play_expert(env, seed=0, options={"index": 2})  # the expert still wins from the start
        assert info["won"]
    finally:
        env.close()
    lean = TextWorldEnv(challenge="coin_collector", n_games=3, cache_dir=cache_dir, admissible=False)
    try:
        _, info = lean.reset(seed=0, options={"index": 2})
        assert info["admissible_actions"] == []
        assert play_expert(lean, seed=0, options={"index": 2})[1]["won"]
    finally:
        lean.close()


def test_off_the_walkthrough_textworlds_policy_still_wins(cache_dir):
    env = TextWorldEnv(challenge="treasure_hunter", settings={"level": 5}, n_games=3, cache_dir=cache_dir)
    try:
        env.reset(seed=0, options={"index": 0})
        env.step("inventory")  # off the walkthrough: TextWorld's own policy plans from here
        assert not env._on_walkthrough and env.expert_action() in env.admissible_actions()
        assert finish_with_expert(env)[1]["won"]
    finally:
        env.close()


def test_registered_splits_match_the_env():
    from envs.textworld.registration import SPLITS as REGISTERED

    assert REGISTERED == SPLITS == envs.spec("TextWorld-v0").splits


def test_the_lazy_planner_gives_textworlds_own_policy_along_a_random_walk(cache_dir):
    """Off the walkthrough the expert replays the episode in a quest-tracking copy of the game; its
    advice equals policy_commands of a TextWorld env that tracked quests all along."""
    import random

    from envs.textworld.env import _start_game

    env = TextWorldEnv(challenge="treasure_hunter", settings={"level": 5}, n_games=3, cache_dir=cache_dir)
    rng = random.Random(5)
    try:
        _, info = env.reset(seed=0, options={"index": 1})
        tracked = _start_game(env.game_path, admissible=True, track_quests=True)
        state = tracked.reset()
        assert "policy_commands" not in env._state  # the player itself does not track quests
        asked = 0
        for _ in range(12):
            command = rng.choice(info["admissible_actions"])
            _, _, terminated, truncated, info = env.step(command)
            state, _, _ = tracked.step(command)
            if rng.random() < 0.6 and not env._on_walkthrough:  # asked now and then: the planner catches up
                assert env.expert_action() == (state["policy_commands"] or ["look"])[0]
                asked += 1
            if terminated or truncated:
                break
        assert asked >= 3
        tracked.close()
    finally:
        env.close()


def test_observations_carry_no_prompt_or_move_counter(cache_dir):
    """The interpreter's status line (">", the room, score/moves) is cut, so one state reads alike at any turn."""
    from envs.textworld.env import game_text

    raw = "-= Basement =-\nYou're now in the basement.\n\n>" + " " * 40 + "-= Basement =-0/12"
    assert game_text(raw) == "-= Basement =-\nYou're now in the basement."
    env = TextWorldEnv(challenge="coin_collector", settings={"level": 5}, n_games=3, cache_dir=cache_dir)
    try:
        first, _ = env.reset(seed=0, options={"index": 0})
        looks = [env.step("look")[0] for _ in range(2)]
        assert looks[0] == looks[1] and ">" not in looks[0] and "-= " in looks[0]
        assert not first.rstrip().endswith("/0") and "=-0/" not in first
    finally:
        env.close()
