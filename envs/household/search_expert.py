"""A household expert that knows only what the player has seen: it searches, then plans.

The planner of :mod:`envs.household.expert` reads where every object lies and walks straight to
it, which no policy that sees only the observations can copy: a student fit to its choices learns
a guess of where things are and has no example of what to do after a wrong guess. This expert acts
on the same information as the player: the receptacles listed in the intro, the contents of those
it has been shown (``world.observed``), and the common knowledge of which receptacle types can
hold which objects (the task's ``can_contain`` table, as ALFWorld's PDDL has it).

Each step it plans, with the planner, on a copy of the world in which objects in unseen places do
not exist. If a plan exists it takes its first command; otherwise it searches: it opens the closed
receptacle it stands at if that could hold what is missing, or goes to the next unseen receptacle
that could, those that need no opening first (one step instead of two), then in listing order.
"""

from __future__ import annotations

from envs.household.catalog import LAMP_HOSTS
from envs.household.expert import plan
from envs.household.world import HouseholdWorld


def believed_world(world: HouseholdWorld) -> HouseholdWorld:
    """A copy of ``world`` without the objects the player has not seen (the held one is seen)."""
    twin = world.clone()
    unseen = {oid for oid, rid in world.container.items() if rid is not None and rid not in world.observed}
    for oid in unseen:
        twin.container[oid] = None  # nowhere: no plan takes it, and no lamp is found there
    twin.goal_objects = [oid for oid in world.goal_objects if oid not in unseen]
    return twin


def _missing_types(world: HouseholdWorld, twin: HouseholdWorld) -> list[str]:
    """The object types the player still has to find before a plan exists."""
    spec = world.spec
    missing = []
    needed = 2 if spec.task_type == "pick_two_obj_and_place" else 1
    if len(twin.goal_objects) < needed:
        missing.append(spec.object_type)
    if spec.task_type == "look_at_obj_in_light":
        lamps = [o for o, obj in world.objects.items()
                 if obj.type == spec.toggle_type and obj.toggleable and twin.container[o] is not None]
        if not lamps:
            missing.append(spec.toggle_type)
    return missing


def _could_hold(world: HouseholdWorld, rid: str, object_type: str) -> bool:
    rtype = world.receptacles[rid].type
    spec = world.spec
    if object_type == spec.toggle_type:
        return rtype in LAMP_HOSTS
    if object_type == spec.object_type and rtype == spec.receptacle_type:
        return False  # the task would already be done: goal objects do not start in a target
    return world.can_hold_type(rid, object_type)


def search_action(world: HouseholdWorld) -> str:
    """The next command of a player who knows only what it has seen."""
    if world.goal_satisfied():
        return "look"
    twin = believed_world(world)
    commands = plan(twin)
    if commands:
        return commands[0]
    missing = _missing_types(world, twin)
    if not missing:
        return "look"  # every needed object is known and still no plan: nothing left to try

    def useful(rid: str) -> bool:
        return rid not in world.observed and any(_could_hold(world, rid, t) for t in missing)

    here = world.location
    if here is not None and useful(here) and world.receptacles[here].openable and here not in world.opened:
        return "open " + here
    places = [rid for rid in world.receptacle_order if rid != here and useful(rid)]
    if not places:
        return "look"  # searched everywhere it could be
    places.sort(key=lambda rid: world.receptacles[rid].openable and rid not in world.opened)
    return "go to " + places[0]


class SearchingExpert:
    """The env's expert for ``expert="search"``: :func:`search_action` on the live world."""

    def __init__(self, world: HouseholdWorld):
        self.world = world

    def next_action(self) -> str:
        return search_action(self.world)
