"""ScienceWorld (scienceworld==1.2.3, its own Scala simulator) as an agora text environment.

    env = envs.make("agora/ScienceWorld-v0")                                 # any of the 30 tasks
    env = envs.make("agora/ScienceWorld-v0", tasks="1-1", simplifications="easy", max_steps=30)
    obs, info = env.reset(seed=0, options={"split": "dev", "index": 2})

Constructor kwargs:
    tasks            None (all 30), a task name ("boil") or paper id ("1-1"), or a list of them
    split            "train" | "dev" | "test": ScienceWorld's variation split drawn from
    simplifications  "" | "easy" (all of them) | a comma list of ScienceWorld's simplifications
    max_steps        agent turns before truncation (None: only the engine limit applies)
    env_step_limit   engine moves before truncation (ScienceWorld's envStepLimit; "wait" is 10 moves)
    admissible       which list info["admissible_actions"] holds:
                       "none"    [] and a lean step (no action enumeration; the default)
                       "bounded" at most ``max_admissible`` valid actions (``tasks.bounded_choices``)
                       "all"     every valid action-object combination, as the stock step builds
    max_admissible   the bound for "bounded"
    java_options     extra JVM flags, e.g. ("-Xmx2g",)
    fresh_jvm        True (default): every task load runs in a new JVM (about 1 s). ScienceWorld's
                     simulation visits objects in the JVM's hash order, so a second load in one JVM
                     can play differently (object listings, measured temperatures, episode length);
                     a fresh JVM per load makes the same seed and actions give the same transcript.
                     False reuses one JVM: faster resets, episodes not reproducible.

Reset options: ``task`` (name or id), ``variation`` (an int), ``split`` and ``index`` (entry
``index`` of the split's (task, variation) list, tasks in order). Without them the seed draws a
task among ``tasks`` and a variation of the split.

Reward: the change of the engine's score divided by 100, a negative score counting as 0, so an
episode's return is its final score / 100 in [0, 1]. ``won`` when the engine marks the task
complete. A negative score (a failed goal, e.g. focusing on the wrong object) ends the episode
as a failure, as ScienceWorld's own wrapper does. ``info["score"]`` is the raw engine score.

The expert is the engine's gold action sequence for the variation (generated on the first
``expert_action`` of a variation, cached per env): it returns the next gold action not yet
taken in order, so it resumes the sequence after an off-path action; it does not replan.
"""

from __future__ import annotations

from envs.core import StepOutcome, TextEnv
from envs.engine_commands import refuse_command
from envs.scienceworld import tasks as sw_tasks
from envs.scienceworld.engine import DEFAULT_JAVA_OPTIONS, EngineDied, ScienceWorldEngine

_OPTIONS = ("task", "variation", "split", "index")
_ADMISSIBLE = ("none", "bounded", "all")
NO_MATCH = "No known action matches that input."
ENGINE_STOPPED = ("The ScienceWorld engine (its Java process) stopped unexpectedly, so this episode is over. "
                  "Call reset() to start a fresh engine.")


class ScienceWorldEnv(TextEnv):
    def __init__(
        self,
        tasks: str | list[str] | tuple[str, ...] | None = None,
        split: str = "train",
        simplifications: str | list[str] | None = "",
        max_steps: int | None = None,
        env_step_limit: int = 100,
        admissible: str = "none",
        max_admissible: int = 50,
        java_options: tuple[str, ...] = DEFAULT_JAVA_OPTIONS,
        fresh_jvm: bool = True,
        render_mode: str | None = None,
    ):
        super().__init__(render_mode=render_mode)
        self.task_names = sw_tasks.task_names(tasks)
        if split not in sw_tasks.SPLITS:
            raise ValueError(f"split must be one of {sw_tasks.SPLITS}, got {split!r}")
        self.split = split
        self.simplifications = sw_tasks.simplification_string(simplifications)
        for name, limit in (("max_steps", max_steps), ("env_step_limit", env_step_limit), ("max_admissible", max_admissible)):
            if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
                raise ValueError(f"{name} must be a positive int, got {limit!r}")
        if admissible not in _ADMISSIBLE:
            raise ValueError(f"admissible must be one of {_ADMISSIBLE}, got {admissible!r}")
        self.max_steps, self.env_step_limit = max_steps, env_step_limit
        self.admissible, self.max_admissible = admissible, max_admissible
        self.engine = ScienceWorldEngine(java_options)  # the JVM starts on the first reset
        self.fresh_jvm = bool(fresh_jvm)
        self._max_variations: dict[str, int] = {}
        self._gold_paths: dict[tuple[str, int, str], list[str]] = {}
        self.task_name, self.variation = "", -1
        self._actions: list[str] = []  # this episode's engine actions, to replay after a gold-path load
        self._gold_done = 0  # how many gold actions the episode has taken, in order
        self._score = 0
        self._choices: list[str] = []

    # --- episodes -------------------------------------------------------------------
    def _variation_count(self, name: str) -> int:
        if name not in self._max_variations:
            self._max_variations[name] = self.engine.max_variations(name)
        return self._max_variations[name]

    def _variations(self, name: str, split: str) -> list[int]:
        return sw_tasks.split_variations(self._variation_count(name), split)

    def _pick(self, options: dict) -> tuple[str, int]:
        split = options.get("split", self.split)
        if split not in sw_tasks.SPLITS:
            raise ValueError(f"split must be one of {sw_tasks.SPLITS}, got {split!r}")
        if "index" in options:
            index = options["index"]
            if not isinstance(index, int) or isinstance(index, bool) or index < 0:
                raise ValueError(f"index must be a non-negative int, got {index!r}")
            names = [sw_tasks.task_name(options["task"])] if "task" in options else self.task_names
            for name in names:
                variations = self._variations(name, split)
                if index < len(variations):
                    return name, variations[index]
                index -= len(variations)
            raise ValueError(f"index {options['index']} is past the end of split {split!r}")
        name = sw_tasks.task_name(options["task"]) if "task" in options else self.task_names[int(self.np_random.integers(len(self.task_names)))]
        if "variation" in options:
            variation = options["variation"]
            limit = self._variation_count(name)
            if not isinstance(variation, int) or isinstance(variation, bool) or not 0 <= variation < limit:
                raise ValueError(f"variation of {name!r} must be an int in [0, {limit}), got {variation!r}")
            return name, variation
        variations = self._variations(name, split)
        if not variations:
            raise ValueError(f"task {name!r} has no {split!r} variations")
        return name, variations[int(self.np_random.integers(len(variations)))]

    def _reset(self, options: dict) -> str:
        unknown = sorted(set(options) - set(_OPTIONS))
        if unknown:
            raise ValueError(f"unknown reset options {unknown}; expected some of {list(_OPTIONS)}")
        if not self.engine.alive and self.engine.pid is not None:
            self.engine.restart()  # the last episode's JVM died: this one gets a fresh engine
        rng_state = self.np_random.bit_generator.state
        try:
            self.task_name, self.variation = self._pick(options)
            self._load()
        except EngineDied:
            self.engine.restart()  # died between episodes: one fresh try, then the error stands
            self.np_random.bit_generator.state = rng_state  # the retry draws the same task
            self.task_name, self.variation = self._pick(options)
            self._load()
        self._actions, self._gold_done, self._score, self._steps = [], 0, 0, 0
        self.task = self.engine.task_description().strip()
        look, _, _, _ = self._engine_step("look around")  # the stock reset's first move
        self._refresh_choices()
        return f"{self.task}\n\n{look}"

    def _load(self, gold_path: bool = False) -> None:
        if self.fresh_jvm and self.engine.alive:
            self.engine.restart()  # see fresh_jvm: a load is reproducible only as a JVM's first
        gold = self.engine.load(self.task_name, self.variation, self.simplifications, gold_path)
        if gold_path:
            self._gold_paths[self._variation_key()] = gold

    def _variation_key(self) -> tuple[str, int, str]:
        return self.task_name, self.variation, self.simplifications

    def _engine_step(self, action: str) -> tuple[str, int, bool, int]:
        self._actions.append(action)
        return self.engine.step(action)

    def _step(self, action: str) -> StepOutcome:
        command = action.strip()
        refusal = refuse_command(command, "ScienceWorld")
        if refusal:
            return self._outcome(f"{NO_MATCH} {refusal}", self._score, False, 0, action_valid=False)
        try:
            obs, score, completed, moves = self._engine_step(command)
        except EngineDied as exc:
            self._choices = []
            return StepOutcome(obs=ENGINE_STOPPED, truncated=True, action_valid=False, extra={"engine_error": str(exc), "score": self._score})
        valid = obs != NO_MATCH and not obs.startswith("ERROR")
        self._follow_gold(command)
        return self._outcome(obs, score, completed, moves, action_valid=valid)

    def _outcome(self, obs: str, score: int, completed: bool, moves: int, action_valid: bool) -> StepOutcome:
        self._steps += 1
        reward = (max(score, 0) - max(self._score, 0)) / 100
        self._score = score
        failed = score < 0
        won = completed and not failed
        truncated = not (won or failed) and (
            (self.max_steps is not None and self._steps >= self.max_steps) or moves > self.env_step_limit
        )
        if not (won or failed or truncated):
            self._refresh_choices()
        return StepOutcome(obs=obs, reward=reward, terminated=won or failed, truncated=truncated,
                           action_valid=action_valid, won=won, extra={"score": score})

    def _refresh_choices(self) -> None:
        if self.admissible == "none":
            self._choices = []
            return
        valid = self.engine.valid_actions()
        if self.admissible == "all":
            self._choices = valid
        else:
            self._choices = sw_tasks.bounded_choices(valid, self.max_admissible, sw_tasks.is_electrical(self.task_name), self.task)

    def admissible_actions(self) -> list[str]:
        return list(self._choices)

    # --- the expert -------------------------------------------------------------------
    def gold_path(self) -> list[str]:
        """The engine's gold action sequence for this episode's variation (generated once, cached)."""
        key = self._variation_key()
        if key not in self._gold_paths:
            # Generating the gold path reloads the task, so the episode so far is replayed on it
            # (the simulator is deterministic given the variation and the actions).
            taken = self._actions
            self._load(gold_path=True)
            if self.fresh_jvm:  # a gold-path load plays differently afterwards: replay on a plain one
                self._load()
            self._actions = []
            for action in taken:
                self._engine_step(action)
            for action in taken[1:]:  # taken[0] is the reset's "look around"
                self._follow_gold(action)
        return list(self._gold_paths[key])

    def _follow_gold(self, command: str) -> None:
        """Count ``command`` as the next gold action if it is one (only once the gold path is known)."""
        gold = self._gold_paths.get(self._variation_key())
        if gold is not None and self._gold_done < len(gold) and command == gold[self._gold_done]:
            self._gold_done += 1

    def expert_action(self) -> str:
        try:
            gold = self.gold_path()
        except EngineDied:
            return "look around"
        return gold[self._gold_done] if self._gold_done < len(gold) else "look around"

    def close(self) -> None:
        self.engine.close()
        super().close()
