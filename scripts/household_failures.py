"""Why household episodes fail: each failed episode of an `agora eval` trajectory file, by kind.

    agora eval --env agora/Household-v0 --policy tiny --model RUN --episodes 100 --out /tmp/ev
    python scripts/household_failures.py /tmp/ev/trajectories_01_tiny_seed0.jsonl

Kinds, decided from the actions alone (the goal object type is the task's word that a taken
object's name starts with):
- never took a goal object (the search failed);
- took one, never applied the task's processing to it (clean / heat / cool types: it went
  straight to the target or elsewhere, or applied the wrong appliance);
- processed it, never delivered it;
- two objects: how many distinct goal objects it held;
- took it, never delivered it (the other types).
Besides the kind, how the last ten actions look: one action repeated, two alternating, or more.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path

PROCESSING = {
    "pick_clean_then_place_in_recep": "clean",
    "pick_heat_then_place_in_recep": "heat",
    "pick_cool_then_place_in_recep": "cool",
}


def episodes(path: Path) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = collections.defaultdict(list)
    with path.open() as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                out[row["episode_id"]].append(row)
    return {k: sorted(v, key=lambda r: r["turn"]) for k, v in out.items()}


def failure_kind(rows: list[dict]) -> str:
    task_type = rows[0]["info"].get("task_type", "?")
    task_words = set(re.findall(r"[a-z]+", rows[0]["obs"].split("Your task is to:")[-1]))
    actions = [r["action"] for r in rows]
    goal_taken = {a.split()[1] + " " + a.split()[2] for a in actions
                  if a.startswith("take ") and len(a.split()) > 2 and a.split()[1] in task_words}
    if not goal_taken:
        return "never took a goal object"
    if task_type in PROCESSING:
        verb = PROCESSING[task_type]
        done = any(a.startswith(verb + " ") and a.split()[1] in task_words for a in actions)
        return "processed it, never delivered it" if done else f"took it, never applied {verb!r} to it"
    if task_type == "pick_two_obj_and_place":
        return f"two objects: held {len(goal_taken)} distinct"
    return "took it, never delivered it"


def tail_shape(rows: list[dict]) -> str:
    distinct = len({r["action"] for r in rows[-10:]})
    return {1: "one action repeated", 2: "two alternating"}.get(distinct, "3+ distinct actions")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trajectories", type=Path, help="a trajectories_*.jsonl file written by agora eval")
    args = parser.parse_args(argv)
    if not args.trajectories.is_file():
        print(f"error: {args.trajectories} is not a file", file=sys.stderr)
        return 2
    try:
        eps = episodes(args.trajectories)
    except (json.JSONDecodeError, KeyError) as err:
        print(f"error: {args.trajectories} is not an agora trajectory file ({err})", file=sys.stderr)
        return 2
    failed = {k: v for k, v in eps.items() if not any(r["info"].get("won") for r in v)}
    print(f"{len(eps)} episodes, {len(failed)} failed")
    kinds = collections.Counter((v[0]["info"].get("task_type", "?"), failure_kind(v)) for v in failed.values())
    for (task_type, kind), n in sorted(kinds.items()):
        print(f"{n:4d}  {task_type:32s} {kind}")
    print("last ten actions of the failed:", dict(collections.Counter(tail_shape(v) for v in failed.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
