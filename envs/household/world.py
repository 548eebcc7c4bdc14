"""The household game engine: ALFWorld 0.4.2's TextWorld semantics in plain Python.

It follows ALFWorld 0.4.2 (``alfworld/data/alfred.pddl`` for what each command needs and does,
``alfworld/data/alfred.twl2`` for the text, TextWorld's ``PddlEnv`` for the rest):

- Placing uses 0.4.2's grammar, ``move O to R`` ("You move the mug 1 to the cabinet 1.");
  older ALFWorld versions used ``put O in/on R``, which this engine does not accept.
- Admissible commands are ``sorted(set(...))`` of every applicable action, as PddlEnv lists them:
  ``go to R`` for every receptacle except the one the agent stands at (the planner drops that
  no-op), ``open``/``close`` for the openable receptacle here, ``take O from R`` (hands empty,
  receptacle open or not openable), ``move O to R`` (receptacle open or not openable and able to
  hold O's type), ``heat``/``clean``/``cool O with R`` at a microwave / sinkbasin / fridge while
  holding a heatable / cleanable / coolable O (appliances need not be open), ``use L`` for a
  toggleable lamp in the receptacle here, ``slice C with K`` while holding a knife or butterknife
  and a sliceable C is in the receptacle here, ``examine R`` for the receptacle here,
  ``examine O`` for the held object only, and ``look``, ``inventory``, ``help``.
- Any other command (after ``strip()``; matching is exact) gives "Nothing happens.".
- Lists read "a X", "a X, and a Y", "a X, a Y, and a Z" or "nothing", ordered by type then
  number descending (see ``tasks.display_key``).
- The intro's overview lists every receptacle, but the ``look`` command in the middle of the room
  says "... you see nothing.": its grammar query is bound to the agent's (empty) location.
- ``look`` next to a receptacle always ends "Next to it, you see nothing.": ALFWorld lists
  objects at the location but outside its receptacle, and with one receptacle per location
  there are none.

Pinned down from a recorded ALFWorld 0.4.2 session rather than the sources alone: the
admissible list at a receptacle has no ``go to`` for that receptacle (Fast Downward drops the
no-op operator) and no ``examine`` for the objects lying in it (only the held object can be
examined), and it includes ``help``.

Not pinned down: ``help``'s text. Its grammar text starts with a newline, which TextWorld's
grammar parser (tatsu, with an end-of-line comment rule) most likely eats; we print it without
that leading newline.
"""

from __future__ import annotations

from envs.household.catalog import KNIFE_CLASSES
from envs.household.tasks import TaskSpec, display_key

BANNER = "-= Welcome to TextWorld, ALFRED! =-"
NOTHING_HAPPENS = "Nothing happens."
HELP_TEXT = (
    "Available commands:\n"
    "  look:                             look around your current location\n"
    "  inventory:                        check your current inventory\n"
    "  go to (receptacle):               move to a receptacle\n"
    "  open (receptacle):                open a receptacle\n"
    "  close (receptacle):               close a receptacle\n"
    "  take (object) from (receptacle):  take an object from a receptacle\n"
    "  move (object) to (receptacle):  place an object in or on a receptacle\n"
    "  examine (something):              examine a receptacle or an object\n"
    "  use (object):                     use an object\n"
    "  heat (object) with (receptacle):  heat an object using a receptacle\n"
    "  clean (object) with (receptacle): clean an object using a receptacle\n"
    "  cool (object) with (receptacle):  cool an object using a receptacle\n"
    "  slice (object) with (object):     slice an object using a sharp object\n"
)


def list_text(names: list[str]) -> str:
    """TextWorld's list rendering: 'nothing', 'a X', 'a X, and a Y', 'a X, a Y, and a Z'."""
    if not names:
        return "nothing"
    items = ["a " + name for name in names]
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + ", and " + items[-1]


class HouseholdWorld:
    """The mutable state of one game and the commands that change it."""

    def __init__(self, spec: TaskSpec):
        self.spec = spec
        self.receptacles = {r.id: r for r in spec.receptacles}
        self.objects = {o.id: o for o in spec.objects}
        self.receptacle_order = sorted(self.receptacles, key=display_key)
        self._key = {oid: display_key(oid) for oid in self.objects}
        self._can_contain = {rtype: frozenset(types) for rtype, types in spec.can_contain.items()}
        self.location: str | None = spec.agent_start  # None: the middle of the room
        self.held: str | None = None
        self.opened = {r.id for r in spec.receptacles if r.openable and r.opened}
        self.container: dict[str, str | None] = {o.id: o.receptacle for o in spec.objects}
        self.contents: dict[str, list[str]] = {rid: [] for rid in self.receptacles}
        for oid in sorted(self.objects, key=display_key):
            self.contents[self.container[oid]].append(oid)
        self.clean = {o.id for o in spec.objects if o.is_clean}
        self.hot = {o.id for o in spec.objects if o.is_hot}
        self.cool = {o.id for o in spec.objects if o.is_cool}
        self.sliced = {o.id for o in spec.objects if o.is_sliced}
        self.toggled: set[str] = set()
        # Receptacles whose contents the agent has been shown: what a non-privileged player knows.
        self.observed: set[str] = set()
        # The objects the goal is about, in listing order.
        ordered = sorted(self.objects, key=display_key)
        self.goal_objects = [oid for oid in ordered if self.objects[oid].type == spec.object_type]
        self.version = 0  # bumped on every state change; lets callers cache per state
        self.last_command: str | None = None  # the last admissible command executed
        self._commands: dict[str, tuple] | None = None

    def clone(self) -> "HouseholdWorld":
        """An independent copy of the current state (the spec is shared; it is never mutated)."""
        twin = HouseholdWorld.__new__(HouseholdWorld)
        twin.__dict__.update(self.__dict__)
        twin.opened, twin.container = set(self.opened), dict(self.container)
        twin.contents = {rid: list(oids) for rid, oids in self.contents.items()}
        twin.clean, twin.hot, twin.cool = set(self.clean), set(self.hot), set(self.cool)
        twin.sliced, twin.toggled = set(self.sliced), set(self.toggled)
        twin.observed = set(self.observed)
        twin._commands = None
        return twin

    def state_key(self) -> tuple:
        """Everything a command can change, hashable: equal keys are the same world state."""
        return (
            self.location, self.held, frozenset(self.opened), tuple(self.container.items()),
            frozenset(self.clean), frozenset(self.hot), frozenset(self.cool), frozenset(self.sliced), frozenset(self.toggled),
        )

    # --- commands ------------------------------------------------------------------------
    def commands(self) -> dict[str, tuple]:
        """Every admissible command in this state, mapped to (handler, *args)."""
        if self._commands is not None:
            return self._commands
        cmds: dict[str, tuple] = {"look": (self._look,), "inventory": (self._inventory,), "help": (self._help,)}
        here, held = self.location, self.held
        for rid in self.receptacle_order:
            if rid != here:
                cmds["go to " + rid] = (self._go, rid)
        if held is not None:
            cmds["examine " + held] = (self._examine_object, held)
        if here is not None:
            recep = self.receptacles[here]
            cmds["examine " + here] = (self._examine_receptacle, here)
            accessible = not recep.openable or here in self.opened
            if recep.openable:
                if here in self.opened:
                    cmds["close " + here] = (self._close, here)
                else:
                    cmds["open " + here] = (self._open, here)
            contents = self.contents[here]
            for oid in contents:
                obj = self.objects[oid]
                if held is None and accessible and obj.pickupable:
                    cmds[f"take {oid} from {here}"] = (self._take, oid, here)
                if obj.toggleable:
                    cmds["use " + oid] = (self._use, oid)
            if held is not None:
                hobj = self.objects[held]
                if accessible and hobj.type in self._can_contain.get(recep.type, ()):
                    cmds[f"move {held} to {here}"] = (self._move, held, here)
                if recep.alfred_type == "Microwave" and hobj.heatable:
                    cmds[f"heat {held} with {here}"] = (self._heat, held, here)
                if recep.alfred_type == "SinkBasin" and hobj.cleanable:
                    cmds[f"clean {held} with {here}"] = (self._clean, held, here)
                if recep.alfred_type == "Fridge" and hobj.coolable:
                    cmds[f"cool {held} with {here}"] = (self._cool, held, here)
                if hobj.alfred_type in KNIFE_CLASSES:
                    for oid in contents:
                        if self.objects[oid].sliceable:
                            cmds[f"slice {oid} with {held}"] = (self._slice, oid, held)
        self._commands = cmds
        return cmds

    def accepts(self, rid: str, oid: str) -> bool:
        """Whether receptacle ``rid`` can hold object ``oid`` (PDDL canContain of their types)."""
        return self.can_hold_type(rid, self.objects[oid].type)

    def can_hold_type(self, rid: str, object_type: str) -> bool:
        """Whether receptacle ``rid`` can hold objects of ``object_type`` (common knowledge, not placement)."""
        return object_type in self._can_contain.get(self.receptacles[rid].type, ())

    def admissible_commands(self) -> list[str]:
        return sorted(self.commands())

    def execute(self, command: str) -> tuple[str, bool]:
        """Run one command; returns (feedback, whether it was admissible)."""
        entry = self.commands().get(command.strip())
        if entry is None:
            return NOTHING_HAPPENS, False
        handler, *args = entry
        self.last_command = command.strip()
        return handler(*args), True

    def _changed(self) -> None:
        self._commands = None
        self.version += 1

    # --- text ----------------------------------------------------------------------------
    def intro(self) -> str:
        # The intro's overview is not bound to the agent's location, so it lists every receptacle.
        everything = list_text(self.receptacle_order)
        overview = f"You are in the middle of a room. Looking quickly around you, you see {everything}."
        return f"{BANNER}\n\n{overview}\n\nYour task is to: {self.spec.goal}."

    def describe_receptacle(self, rid: str) -> str:
        recep = self.receptacles[rid]
        if recep.openable:
            if rid in self.opened:
                self.observed.add(rid)
                return f"The {rid} is open. In it, you see {list_text(self.contents[rid])}."
            return f"The {rid} is closed."
        self.observed.add(rid)
        return f"On the {rid}, you see {list_text(self.contents[rid])}."

    def _look(self) -> str:
        if self.location is None:
            # ALFWorld binds the overview to the agent's location, which holds no receptacle.
            return "You are in the middle of a room. Looking quickly around you, you see nothing."
        return f"You are facing the {self.location}. Next to it, you see nothing."

    def _inventory(self) -> str:
        if self.held is None:
            return "You are not carrying anything."
        return f"You are carrying: {list_text([self.held])}."

    def _help(self) -> str:
        return HELP_TEXT

    def _examine_receptacle(self, rid: str) -> str:
        return self.describe_receptacle(rid)

    def _examine_object(self, oid: str) -> str:
        # ALFWorld's examineObject.feedback rules, first match wins.
        obj = self.objects[oid]
        if obj.receptacle_object:
            return f"This is a normal {oid}. In it, you see nothing."
        clean, hot, cool, sliced = oid in self.clean, oid in self.hot, oid in self.cool, oid in self.sliced
        if sliced:
            if clean and hot:
                return f"This is a hot and clean sliced {oid}."
            if clean and cool:
                return f"This is a cool and clean sliced {oid}."
            if clean:
                return f"This is a clean sliced {oid}."
            if hot:
                return f"This is a hot sliced {oid}."
            if cool:
                return f"This is a cool sliced {oid}."
        if clean and hot:
            return f"This is a hot and clean {oid}."
        if clean and cool:
            return f"This is a cool and clean {oid}."
        if hot:
            return f"This is a hot {oid}."
        if clean:
            return f"This is a clean {oid}."
        if cool:
            return f"This is a cold {oid}."
        if obj.toggleable and oid in self.toggled:
            return f"This {oid} is on."
        if obj.sliceable and sliced:
            return f"This is a sliced {oid}."
        return f"There's nothing special about {oid}."

    # --- state changes -------------------------------------------------------------------
    def _go(self, rid: str) -> str:
        self.location = rid
        self._changed()
        return f"You arrive at {rid}. {self.describe_receptacle(rid)}"

    def _open(self, rid: str) -> str:
        self.opened.add(rid)
        self._changed()
        return f"You open the {rid}. {self.describe_receptacle(rid)}"

    def _close(self, rid: str) -> str:
        self.opened.discard(rid)
        self._changed()
        return f"You close the {rid}."

    def _take(self, oid: str, rid: str) -> str:
        self.contents[rid].remove(oid)
        self.container[oid] = None
        self.held = oid
        self._changed()
        return f"You pick up the {oid} from the {rid}."

    def _move(self, oid: str, rid: str) -> str:
        contents = self.contents[rid]
        contents.append(oid)
        contents.sort(key=self._key.__getitem__)
        self.container[oid] = rid
        self.held = None
        self._changed()
        return f"You move the {oid} to the {rid}."

    def _heat(self, oid: str, rid: str) -> str:
        self.hot.add(oid)
        self.cool.discard(oid)
        self._changed()
        return f"You heat the {oid} using the {rid}."

    def _clean(self, oid: str, rid: str) -> str:
        self.clean.add(oid)
        self._changed()
        return f"You clean the {oid} using the {rid}."

    def _cool(self, oid: str, rid: str) -> str:
        self.cool.add(oid)
        self.hot.discard(oid)
        self._changed()
        return f"You cool the {oid} using the {rid}."

    def _slice(self, oid: str, knife: str) -> str:
        self.sliced.add(oid)
        self._changed()
        return f"You sliced the {oid} with the {knife}."

    def _use(self, oid: str) -> str:
        # isToggled is set by every use, so ALFWorld always reports turning it on.
        self.toggled.add(oid)
        self._changed()
        return f"You turn on the {oid}."

    # --- goal ----------------------------------------------------------------------------
    def goal_satisfied(self) -> bool:
        """ALFWorld's goal_library PDDL goal for the task type (see ``tasks`` module docstring)."""
        spec = self.spec
        kind = spec.task_type
        if kind == "look_at_obj_in_light":
            if self.location is None or self.held is None or self.objects[self.held].type != spec.object_type:
                return False
            return any(
                self.objects[oid].type == spec.toggle_type and self.objects[oid].toggleable and oid in self.toggled
                for oid in self.contents[self.location]
            )
        in_target = [
            oid
            for oid in self.goal_objects
            if self.container[oid] is not None and self.receptacles[self.container[oid]].type == spec.receptacle_type
        ]
        if kind == "pick_and_place_simple":
            return bool(in_target)
        if kind == "pick_two_obj_and_place":
            receptacles = [self.container[oid] for oid in in_target]
            return any(receptacles.count(rid) >= 2 for rid in set(receptacles))
        done = {
            "pick_clean_then_place_in_recep": self.clean,
            "pick_heat_then_place_in_recep": self.hot,
            "pick_cool_then_place_in_recep": self.cool,
        }[kind]
        return any(oid in done for oid in in_target)
