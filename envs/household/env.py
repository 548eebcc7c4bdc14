"""``HouseholdEnv``: ALFWorld-style household tasks as an agora ``TextEnv``.

    env = envs.make("agora/Household-v0", task_types="pick_heat_then_place_in_recep")
    obs, info = env.reset(seed=0, options={"split": "eval_in_distribution", "index": 3})

Constructor kwargs (the defaults of every episode):
    task_types    one task type, a list of them, or None for all six (see ``tasks.TASK_TYPES``)
    type_weights  {task type: weight} for episodes drawn by seed (training): a type is drawn with
                  probability proportional to its weight (types not named weigh 1), to train more
                  on a hard type; None (default) draws every type equally often. Indexed
                  entries (evaluation panels) are not affected.
    split         "train" (default), "eval_in_distribution" or "eval_out_of_distribution"
    difficulty    "easy", "default" or "hard" (``generator.DIFFICULTIES``)
    max_steps     step limit; None uses the difficulty's (50 by default); reaching it truncates
    shaped_reward False (default): reward 1 on success, else 0.
                  True or "milestones": adds 0.1 the first time the agent holds a goal object,
                  processes it (clean/heat/cool), switches on the goal lamp, or (two-object
                  tasks) places the first object and then holds a second one; putting a held
                  goal object down short of the goal (anywhere but the target, or in the target
                  before it is heated, cooled or cleaned) costs 0.1 each time, and so does
                  taking one back out of the target in two-object tasks (otherwise "place it,
                  take it back" is free: a loop right after their first milestone). Taking
                  an object back out of the target in the other types is free: it can only
                  fix a premature placement, which was charged when made.
                  "potential": potential-based shaping (Ng, Harada & Russell, 1999): adds
                  phi(after) - phi(before), phi = 0.1 x (holding a goal object)
                  + 0.1 x (a goal object is processed / the goal lamp is on) + 0.2 x (two-object
                  tasks: a target receptacle holds a goal object). Undoing progress (putting the
                  object back down elsewhere, taking the first of two back out) costs what doing
                  it paid, so loops earn nothing; an episode's bonuses sum to phi(end).
    revisit_cost  0 (default) or a charge for each step that leaves the world in a state the
                  episode was already in (where the agent stands, what it holds, what is open,
                  where every object is, what is processed or switched on): going back to a
                  searched place, open/close alternation, repeating "cool" or a failed command.
                  Added to any shaping, in every mode; wins are unaffected. Under group-relative
                  estimators it tells failed episodes apart early on (the one that searched
                  new places beats the one that went in circles), when no copy of a task wins.
    expert        whose choices ``expert_action`` gives (demonstrations, guidance, imitation labels):
                  "planner" (default) reads where every object lies and walks straight to it
                  (``expert``: a shortest plan); "search" knows only what the player has seen and
                  searches the places that could hold what it needs (``search_expert``), so a
                  policy that sees only the observations can copy it.

``reset(seed=s, options=...)``; every option is optional:
    task          a ``TaskSpec`` (or its dict) to play as is; the other options are then ignored
    split, difficulty
                  override the constructor's
    task_type     play this type (must be one of the env's task_types)
    index         the entry of the split to play; without it, one is drawn from ``seed``

Besides the contract's keys, ``info`` carries ``task_type`` and ``task_name`` (e.g.
"train/pick_and_place_simple/17"), for per-type evaluation.

Commands and observations are ALFWorld 0.4.2's (placing is "move O to R"); see ``world``.

Entry ``index`` of a split with no task type chosen is ``generator.split_task(split, index)``;
with one, it is ``split_task(split, index, task_type)``. An env made for k of the six types (and
no ``task_type`` option) cycles through them: entry ``index`` is entry ``index // k`` of type
``task_types[index % k]``, so a fixed evaluation panel covers every type equally. Without
``index`` the seed picks the task type (among ``task_types``) and the index, so the same seed
always gives the same game.
"""

from __future__ import annotations

from envs.core import StepOutcome, TextEnv
from envs.household.expert import HouseholdExpert
from envs.household.search_expert import SearchingExpert
from envs.household.generator import SPLITS, get_difficulty, split_size, split_task
from envs.household.tasks import TASK_TYPES, TaskSpec
from envs.household.world import HouseholdWorld

_OPTIONS = ("task", "split", "difficulty", "task_type", "index")
_SHAPING_BONUS = 0.1
_SHAPING_MODES = (False, True, "milestones", "potential")
_EXPERTS = {"planner": HouseholdExpert, "search": SearchingExpert}


def task_spec_option(value) -> TaskSpec:
    """The ``task`` reset option: a TaskSpec or its dict, validated."""
    spec = TaskSpec.from_dict(value) if isinstance(value, dict) else value
    if not isinstance(spec, TaskSpec):
        raise TypeError(f"options['task'] must be a TaskSpec or dict, got {type(spec).__name__}")
    spec.validate()
    return spec


class HouseholdEnv(TextEnv):
    def __init__(
        self,
        task_types: str | list[str] | tuple[str, ...] | None = None,
        split: str = "train",
        difficulty: str = "default",
        max_steps: int | None = None,
        shaped_reward: bool | str = False,
        type_weights: dict[str, float] | None = None,
        revisit_cost: float = 0.0,
        expert: str = "planner",
        render_mode: str | None = None,
    ):
        super().__init__(render_mode=render_mode)
        self.task_types = _check_task_types(task_types)
        self.type_probabilities = _type_probabilities(type_weights, self.task_types)
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        self.split = split
        self.difficulty = get_difficulty(difficulty).name
        if max_steps is not None and (not isinstance(max_steps, int) or max_steps < 1):
            raise ValueError(f"max_steps must be a positive int or None, got {max_steps!r}")
        self._max_steps_override = max_steps
        if shaped_reward not in _SHAPING_MODES:
            raise ValueError(f"shaped_reward must be one of {_SHAPING_MODES}, got {shaped_reward!r}")
        self.shaped_reward = {True: "milestones"}.get(shaped_reward, shaped_reward)
        if isinstance(revisit_cost, bool) or not isinstance(revisit_cost, (int, float)) or not 0 <= revisit_cost <= 1:
            raise ValueError(f"revisit_cost must be a number in [0, 1], got {revisit_cost!r}")
        self.revisit_cost = float(revisit_cost)
        if expert not in _EXPERTS:
            raise ValueError(f"expert must be one of {sorted(_EXPERTS)}, got {expert!r}")
        self.expert_kind = expert
        self.task_spec: TaskSpec | None = None
        self.world: HouseholdWorld | None = None
        self.max_steps = max_steps or get_difficulty(difficulty).max_steps
        self._steps = 0

    # --- TextEnv hooks -------------------------------------------------------------------
    def _reset(self, options: dict) -> str:
        unknown = sorted(set(options) - set(_OPTIONS))
        if unknown:
            raise ValueError(f"unknown reset options {unknown}; expected some of {list(_OPTIONS)}")
        difficulty = get_difficulty(options.get("difficulty", self.difficulty))
        if "task" in options:
            spec = task_spec_option(options["task"])
        else:
            spec = self._pick_task(options, difficulty)
        self.task_spec = spec
        self.world = HouseholdWorld(spec)
        self.expert = _EXPERTS[self.expert_kind](self.world)
        self.task = spec.goal + "."
        self.max_steps = self._max_steps_override or difficulty.max_steps
        self._steps = 0
        self._milestones: set[str] = set()
        self._placed = self._goal_objects_placed()
        self._held_before: str | None = None
        self._potential = self._phi() if self.shaped_reward == "potential" else 0.0
        self._goal_version = -1
        self._goal_cache = False
        self._seen_states = {self.world.state_key()} if self.revisit_cost else set()
        return self.world.intro()

    def _pick_task(self, options: dict, difficulty) -> TaskSpec:
        split = options.get("split", self.split)
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        task_type = options.get("task_type")
        if task_type is not None and task_type not in self.task_types:
            raise ValueError(f"task_type {task_type!r} is not among this env's task types {list(self.task_types)}")
        index = options.get("index")
        if task_type is None and index is None and self.type_probabilities is not None:
            task_type = self.task_types[int(self.np_random.choice(len(self.task_types), p=self.type_probabilities))]
        if task_type is None and len(self.task_types) < len(TASK_TYPES):
            k = len(self.task_types)
            if isinstance(index, int) and not isinstance(index, bool) and index >= 0:
                # A fixed panel over a subset of types cycles through them: entry i is entry i // k of type i % k.
                task_type, index = self.task_types[index % k], index // k
            else:
                task_type = self.task_types[int(self.np_random.integers(k))]
        if index is None:
            index = int(self.np_random.integers(split_size(split, task_type)))
        return split_task(split, index, task_type, difficulty)

    def _step(self, action: str) -> StepOutcome:
        if self.world is None:
            raise RuntimeError("call reset() before step()")
        feedback, valid = self.world.execute(action)
        self._steps += 1
        won = self._goal_reached()
        reward = 1.0 if won else 0.0
        if self.shaped_reward == "milestones" and not won:
            reward = self._shaping()
        elif self.shaped_reward == "potential":
            reward += self._potential_change()
        if self.revisit_cost and not won:
            reward -= self._revisit_charge()
        truncated = not won and self._steps >= self.max_steps
        return StepOutcome(
            obs=feedback, reward=reward, terminated=won, truncated=truncated, action_valid=valid, won=won
        )

    def admissible_actions(self) -> list[str]:
        return self.world.admissible_commands() if self.world is not None else []

    def expert_action(self) -> str:
        if self.world is None:
            raise RuntimeError("call reset() before expert_action()")
        return self.expert.next_action()

    def _info(self, action_valid: bool | None = None) -> dict:
        # Per-type results are what ALFWorld evaluations report, so every info names the task.
        info = super()._info(action_valid)
        if self.task_spec is not None:
            info["task_type"] = self.task_spec.task_type
            info["task_name"] = self.task_spec.name
        return info

    # --- helpers -------------------------------------------------------------------------
    def _goal_reached(self) -> bool:
        # The goal can only change when the state does.
        if self.world.version != self._goal_version:
            self._goal_version = self.world.version
            self._goal_cache = self.world.goal_satisfied()
        return self._goal_cache

    def _revisit_charge(self) -> float:
        state = self.world.state_key()
        if state in self._seen_states:
            return self.revisit_cost
        self._seen_states.add(state)
        return 0.0

    def _potential_change(self) -> float:
        before, self._potential = self._potential, self._phi()
        return round(self._potential - before, 10)

    def _phi(self) -> float:
        """Progress of the current state toward the goal (see ``shaped_reward="potential"``)."""
        goal_objects = self.world.goal_objects
        stages = (
            self._held_goal_object() is not None,
            any(o in self._processed() for o in goal_objects),
            self._lamp_on(),
        )
        return _SHAPING_BONUS * (sum(stages) + 2 * self._first_of_two_placed(self._goal_objects_placed()))

    def _shaping(self) -> float:
        held = self._held_goal_object()
        placed, before = self._goal_objects_placed(), self._placed
        put_down = self._put_down_short_of_the_goal(self._held_before, held)
        self._placed, self._held_before = placed, held
        first_of_two = self._first_of_two_placed(placed)
        # Only a two-object task can be set back by taking an object out of the target (in the
        # others the episode ends when it is placed right, so that take is the fix of a mistake).
        taken_back = max(before - placed, 0) if self.task_spec.task_type == "pick_two_obj_and_place" else 0
        reached = {
            name
            for name, hit in (
                ("holding", held is not None),
                ("processed", held is not None and held in self._processed()),
                ("lamp", self._lamp_on()),
                ("placed", first_of_two),
                ("second", first_of_two and held is not None),
            )
            if hit
        }
        new = reached - self._milestones
        self._milestones |= new
        return _SHAPING_BONUS * (len(new) - taken_back - put_down)

    def _put_down_short_of_the_goal(self, held_before: str | None, held: str | None) -> bool:
        """The goal object held before this step was put down, and not as the first of two in the target
        (the winning placement ends the episode before shaping)."""
        if held_before is None or held is not None:
            return False
        w = self.world
        where = w.container.get(held_before)
        in_target = where is not None and w.receptacles[where].type == self.task_spec.receptacle_type
        return not (in_target and self.task_spec.task_type == "pick_two_obj_and_place")

    # The subgoals both kinds of shaping pay for.
    def _held_goal_object(self) -> str | None:
        w = self.world
        return w.held if w.held is not None and w.objects[w.held].type == self.task_spec.object_type else None

    def _processed(self) -> set[str]:
        """Objects the task's processing (clean / heat / cool) was applied to; empty for other types."""
        w = self.world
        return {
            "pick_clean_then_place_in_recep": w.clean,
            "pick_heat_then_place_in_recep": w.hot,
            "pick_cool_then_place_in_recep": w.cool,
        }.get(self.task_spec.task_type, set())

    def _lamp_on(self) -> bool:
        w, spec = self.world, self.task_spec
        return spec.task_type == "look_at_obj_in_light" and any(w.objects[o].type == spec.toggle_type for o in w.toggled)

    def _first_of_two_placed(self, placed: int) -> bool:
        """Two-object tasks: the first goal object is in place (``placed`` from ``_goal_objects_placed``)."""
        return placed > 0 and self.task_spec.task_type == "pick_two_obj_and_place"

    def _goal_objects_placed(self) -> int:
        """How many goal objects stand in receptacles of the target type (0 without a target type)."""
        w, spec = self.world, self.task_spec
        return sum(
            w.container[o] is not None and w.receptacles[w.container[o]].type == spec.receptacle_type
            for o in w.goal_objects
        )


def _type_probabilities(type_weights, task_types: tuple[str, ...]) -> list[float] | None:
    if type_weights is None:
        return None
    if not isinstance(type_weights, dict):
        raise TypeError(f"type_weights must be a dict {{task type: weight}}, got {type(type_weights).__name__}")
    unknown = sorted(set(type_weights) - set(task_types))
    if unknown:
        raise ValueError(f"type_weights names {unknown}, which are not among this env's task types {list(task_types)}")
    weights = [type_weights.get(t, 1.0) for t in task_types]
    if any(isinstance(w, bool) or not isinstance(w, (int, float)) or not w >= 0 for w in weights) or not sum(weights) > 0:
        raise ValueError(f"type_weights must be non-negative numbers, not all zero; got {type_weights}")
    return [w / sum(weights) for w in weights]


def _check_task_types(task_types) -> tuple[str, ...]:
    if task_types is None:
        return TASK_TYPES
    if isinstance(task_types, str):
        task_types = [task_types]
    task_types = tuple(task_types)
    bad = [t for t in task_types if t not in TASK_TYPES]
    if bad or not task_types:
        raise ValueError(f"task_types must be a non-empty subset of {TASK_TYPES}, got {list(task_types)}")
    return task_types
