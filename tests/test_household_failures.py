"""scripts/household_failures.py: failed household episodes sorted by kind."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_script():
    spec = importlib.util.spec_from_file_location("household_failures", ROOT / "scripts" / "household_failures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def episode(name, task_type, task, actions, won=False):
    return [{"episode_id": name, "turn": t, "obs": f"Your task is to: {task}" if t == 0 else "...", "action": a,
             "info": {"task_type": task_type, "won": won and t == len(actions) - 1}} for t, a in enumerate(actions)]


def test_failures_are_sorted_by_kind(tmp_path, capsys):
    script = load_script()
    heat = "pick_heat_then_place_in_recep"
    rows = [
        *episode("a", heat, "put a hot egg in fridge.", ["go to countertop 1", "take egg 1 from countertop 1",
                                                          "go to fridge 1", "move egg 1 to fridge 1"]),
        *episode("b", heat, "put a hot egg in fridge.", ["go to countertop 1", "take egg 1 from countertop 1",
                                                          "heat egg 1 with microwave 1"]),
        *episode("c", "pick_and_place_simple", "put some mug on desk.", ["go to desk 1"] * 10),
        *episode("d", "pick_two_obj_and_place", "put two cd in safe.", ["take cd 1 from desk 1", "take cd 2 from bed 1"]),
        *episode("e", "pick_and_place_simple", "put some mug on desk.", ["take mug 1 from bed 1", "move mug 1 to desk 1"], won=True),
    ]
    file = tmp_path / "trajectories.jsonl"
    file.write_text("".join(json.dumps(r) + "\n" for r in rows))
    eps = script.episodes(file)
    assert [script.failure_kind(eps[k]) for k in "abcd"] == [
        "took it, never applied 'heat' to it", "processed it, never delivered it", "never took a goal object",
        "two objects: held 2 distinct",
    ]
    assert script.tail_shape(eps["c"]) == "one action repeated"
    assert script.main([str(file)]) == 0
    assert capsys.readouterr().out.startswith("5 episodes, 4 failed")
    assert script.main([str(tmp_path / "missing.jsonl")]) == 2
