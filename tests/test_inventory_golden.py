"""The numeric and text inventory envs replay the transcripts recorded before the speed work
(tests/data/inventory_numeric_golden.json, written by tests/inventory_golden.py at a46fe10)."""

from __future__ import annotations

import json

import pytest

from tests.inventory_golden import ENV_IDS, GOLDEN, SEEDS, TEXT_ENV_IDS, record, record_text

RECORDED = json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("run", [*map(str, SEEDS), "expert"])
def test_numeric_env_replays_its_golden_transcript(env_id, run):
    expert = run == "expert"
    rows = record(env_id, SEEDS[0] if expert else int(run), expert=expert)
    golden = RECORDED[env_id][run]
    assert len(rows) == len(golden)
    for t, (row, want) in enumerate(zip(rows, golden)):
        info = row.pop("info")
        assert {key: info[key] for key in want["info"]} == want["info"], f"{env_id} {run}: step {t}'s info differs"
        assert row == {key: value for key, value in want.items() if key != "info"}, f"{env_id} {run}: step {t} differs"
        assert info.get("action_valid", True) is True  # the recorded actions are all valid


@pytest.mark.parametrize("env_id", TEXT_ENV_IDS)
@pytest.mark.parametrize("run", ["0", "1", "expert"])
def test_text_env_replays_its_golden_transcript(env_id, run):
    expert = run == "expert"
    assert record_text(env_id, SEEDS[0] if expert else int(run), expert=expert) == RECORDED[env_id][run]
