"""Generated TextWorld games (textworld==1.7.0, its Inform7 compiler and Jericho interpreter) as an agora env.

    env = envs.make("agora/TextWorld-v0", challenge="coin_collector", settings={"level": 10})
    obs, info = env.reset(seed=0)                                  # a train game, drawn by the seed
    obs, info = env.reset(seed=0, options={"split": "test", "index": 4})

Constructor kwargs:
    challenge     "coin_collector" | "treasure_hunter" | "cooking" | "custom" (see ``games``)
    settings      the challenge's tw-make options as a dict, e.g. {"level": 10}
                  (None: ``games.DEFAULT_SETTINGS``)
    n_games       games per split; game i of a split has seed ``SPLIT_SEEDS[split] + i``, so the
                  train and test sets come from disjoint seeds
    split         "train" | "test": the split drawn from without options
    max_steps     agent turns before truncation
    admissible    True: info["admissible_actions"] holds TextWorld's admissible commands;
                  False: [] and TextWorld does not compute them (a faster step)
    cache_dir     where generated games are kept (``games.default_cache_dir()`` if None)
    shaped_reward weight of TextWorld's intermediate reward (+1 when a step shortens its winning
                  policy, -1 when it lengthens it) added to each step's reward; 0: the score only

Reset options: ``split``, ``index`` (game ``index`` of the split) or ``game_file`` (any
TextWorld .z8 with its .json). Games are generated on first use and read from the cache after.

Reward: the change of TextWorld's score divided by the game's max score, so a won game returns
1; ``won`` and ``terminated`` as TextWorld reports (``lost`` ends a game too). The expert is the
game's walkthrough; once an agent leaves it, TextWorld's own winning policy from the current
state (``policy_commands``) takes over; it comes from a second copy of the game that replays the
episode's commands, started only when asked, so the player's steps skip TextWorld's quest tracking.
"""

from __future__ import annotations

import os
import re

from envs.core import StepOutcome, TextEnv
from envs.engine_commands import refuse_command
from envs.textworld import games

SPLITS = ("train", "test")
SPLIT_SEEDS = {"train": 0, "test": 1_000_000}  # game seeds; a split never reaches the next base
_OPTIONS = ("split", "index", "game_file")
_REFUSED = "That is not a command TextWorld can read."
INSTALL_HINT = "pip install 'agora[textworld]' (textworld==1.7.0)"


def require_textworld() -> None:
    import importlib.util

    if importlib.util.find_spec("textworld") is None:
        raise ImportError(f"agora/TextWorld-v0 needs TextWorld. Install it with: {INSTALL_HINT}")


# The interpreter's prompt and status line ends every feedback: ">", padding, "-= Room =-" and
# score/moves. The move count would make every observation unique (no two copies of a group
# ever share a state, which step-level grouping needs); the room name is in the text already.
_STATUS_LINE = re.compile(r"\s*>\s*-= .* =-\s*-?\d+/\d+\s*$")


def game_text(feedback: str) -> str:
    return _STATUS_LINE.sub("", feedback).strip()


def _start_game(path: str, admissible: bool, track_quests: bool):
    """A TextWorld env on one game file. ``track_quests``: follow quest progress on every step, which
    TextWorld's intermediate reward and winning policy (``policy_commands``) need."""
    import textworld

    infos = textworld.EnvInfos(
        admissible_commands=admissible, policy_commands=track_quests, intermediate_reward=track_quests, score=True,
        max_score=True, won=True, lost=True, objective=True, extras=["walkthrough"],
    )
    with games.quiet_jericho():
        return textworld.start(path, request_infos=infos)


class TextWorldEnv(TextEnv):
    def __init__(
        self,
        challenge: str = "coin_collector",
        settings: dict | None = None,
        n_games: int = 32,
        split: str = "train",
        max_steps: int = 30,
        admissible: bool = True,
        cache_dir: str | None = None,
        shaped_reward: float = 0.0,
        render_mode: str | None = None,
    ):
        require_textworld()
        super().__init__(render_mode=render_mode)
        self.challenge = challenge
        self.settings = games.challenge_settings(challenge, games.DEFAULT_SETTINGS.get(challenge) if settings is None else settings)
        for name, value in (("n_games", n_games), ("max_steps", max_steps)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if n_games > SPLIT_SEEDS["test"]:
            raise ValueError(f"n_games must be at most {SPLIT_SEEDS['test']} (the split seeds would overlap)")
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        self.n_games, self.split, self.max_steps = n_games, split, max_steps
        self.admissible = bool(admissible)
        if not isinstance(shaped_reward, (int, float)) or isinstance(shaped_reward, bool) or shaped_reward < 0:
            raise ValueError(f"shaped_reward must be a number >= 0, got {shaped_reward!r}")
        self.shaped_reward = float(shaped_reward)
        self.cache_dir = cache_dir or games.default_cache_dir()
        self.game_path = ""
        self._tw = None  # the running TextWorld env (one per game file)
        self._state = None
        self._walkthrough: list[str] = []
        self._on_walkthrough = True
        self._commands: list[str] = []  # the episode's commands TextWorld received
        self._planner = None  # a second copy of the game that tracks quests, for the expert
        self._planner_steps: int | None = None  # this episode's commands it has played (None: not reset)
        self._planner_state = None
        self._score = 0

    # --- games ------------------------------------------------------------------------
    def game_seed(self, split: str, index: int) -> int:
        return SPLIT_SEEDS[split] + index

    def _pick_game(self, options: dict) -> str:
        if "game_file" in options:
            path = os.fspath(options["game_file"])
            if not os.path.isfile(path):
                raise FileNotFoundError(f"no TextWorld game at {path!r}")
            return path
        split = options.get("split", self.split)
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        index = options.get("index")
        if index is None:
            index = int(self.np_random.integers(self.n_games))
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < self.n_games:
            raise ValueError(f"index must be an int in [0, {self.n_games}), got {index!r}")
        return games.game_file(self.challenge, self.settings, self.game_seed(split, index), self.cache_dir)[0]

    def _start(self, path: str) -> None:
        if self._tw is not None and path == self.game_path:
            return
        self._close_game()
        self._tw = _start_game(path, self.admissible, track_quests=self.shaped_reward > 0)
        self.game_path = path

    # --- episodes ---------------------------------------------------------------------
    def _reset(self, options: dict) -> str:
        unknown = sorted(set(options) - set(_OPTIONS))
        if unknown:
            raise ValueError(f"unknown reset options {unknown}; expected some of {list(_OPTIONS)}")
        self._start(self._pick_game(options))
        self._state = self._tw.reset()
        self.task = (self._state["objective"] or "").strip()
        self._walkthrough = list(self._state.get("extra.walkthrough") or [])
        self._on_walkthrough, self._score, self._steps = True, 0, 0
        self._commands, self._planner_steps = [], None
        return game_text(self._state.feedback)

    def _step(self, action: str) -> StepOutcome:
        command = action.strip()
        refusal = refuse_command(command, "TextWorld")
        admissible = self._state["admissible_commands"] if self.admissible else None
        if not refusal:
            self._follow_walkthrough(command)
            self._commands.append(command)
            self._state, score, done = self._tw.step(command)
        self._steps += 1
        max_score = self._state["max_score"] or 1
        reward = 0.0 if refusal else (score - self._score) / max_score
        if not refusal and self.shaped_reward:
            reward += self.shaped_reward * self._state["intermediate_reward"]
        if not refusal:
            self._score = score
        won, lost = bool(self._state["won"]), bool(self._state["lost"])
        terminated = won or lost
        return StepOutcome(
            obs=f"{_REFUSED} {refusal}" if refusal else game_text(self._state.feedback),
            reward=reward,
            terminated=terminated,
            truncated=not terminated and self._steps >= self.max_steps,
            action_valid=not refusal and (admissible is None or command.lower() in admissible),
            won=won,
            extra={"score": self._score, "max_score": max_score},
        )

    def admissible_actions(self) -> list[str]:
        if not self.admissible or self._state is None:
            return []
        return list(self._state["admissible_commands"] or [])

    # --- the expert -------------------------------------------------------------------
    def _follow_walkthrough(self, command: str) -> None:
        if self._on_walkthrough and self._walkthrough and command == self._walkthrough[0]:
            self._walkthrough.pop(0)
        else:
            self._on_walkthrough = False

    def expert_action(self) -> str:
        """The walkthrough's next command; off the walkthrough, TextWorld's winning policy from here."""
        if self._on_walkthrough and self._walkthrough:
            return self._walkthrough[0]
        policy = self._winning_policy() if self._state is not None else None
        return policy[0] if policy else "look"

    def _winning_policy(self) -> list[str]:
        """TextWorld's winning commands from the current state. They come from a second copy of the
        game that tracks quests, brought to this state by replaying the episode's commands: tracking
        quests on every step of the player took 6 s of a rollout's 10 s of steps, for an expert rarely asked."""
        if self._planner is None:
            self._planner = _start_game(self.game_path, admissible=False, track_quests=True)
        if self._planner_steps is None:  # a new episode
            self._planner_state, self._planner_steps = self._planner.reset(), 0
        for command in self._commands[self._planner_steps :]:
            self._planner_state, _, _ = self._planner.step(command)
        self._planner_steps = len(self._commands)
        return list(self._planner_state["policy_commands"] or [])

    def _close_game(self) -> None:
        for game in (self._tw, self._planner):
            if game is not None:
                game.close()
        self._tw, self._planner, self.game_path = None, None, ""

    def close(self) -> None:
        self._close_game()
        super().close()
