"""Golden transcripts of the numeric inventory envs, recorded from the code before the speed work.

``python -m tests.inventory_golden --overwrite`` wrote tests/data/inventory_numeric_golden.json once, from
the code at a46fe10; tests/test_inventory_golden.py checks every later version against that file, so a
speed-up that changes a single observation, reward or info value fails. Rewrite it only for a change
that is meant to alter transcripts.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

import envs

GOLDEN = Path(__file__).parent / "data" / "inventory_numeric_golden.json"
ENV_IDS = ("agora/InvManagement-v1", "agora/InventoryNumeric-v0", "agora/LostSales-v0")
TEXT_ENV_IDS = ("agora/InvManagementText-v1", "agora/InventoryText-v0", "agora/LostSalesText-v0")
SEEDS = (0, 1, 2, 3)
EDGE_ACTIONS = (0.0, 1.0, 1.7, -0.4, 0.4999, 0.5001)  # clipped or rounding-boundary fractions


def scripted_actions(env, seed: int):
    """Random fractions with some boundary and out-of-range values mixed in (never NaN: the
    contract for NaN actions is decided separately)."""
    rng = np.random.default_rng(1000 + seed)
    shape = env.action_space.shape
    while True:
        a = rng.random(shape)
        edge = rng.random(shape) < 0.2
        a[edge] = rng.choice(EDGE_ACTIONS, size=int(edge.sum()))
        yield a.astype(np.float32)


def _plain(value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    return float(value)


def record(env_id: str, seed: int, expert: bool = False) -> list[dict]:
    """One whole episode (scripted actions, or the env's expert): the reset row, then one row per step."""
    env = envs.make(env_id)
    obs, info = env.reset(seed=seed)
    rows = [{"obs": obs.tolist(), "info": {k: _plain(v) for k, v in info.items() if k != "task"}}]
    actions = scripted_actions(env, seed)
    done = False
    while not done:
        action = env.unwrapped.expert_action() if expert else next(actions)
        obs, reward, terminated, truncated, info = env.step(action)
        rows.append({"action": action.tolist(), "obs": obs.tolist(), "reward": reward,
                     "terminated": terminated, "truncated": truncated,
                     "info": {k: _plain(v) for k, v in info.items() if k != "task"}})
        done = terminated or truncated
    env.close()
    return rows


def record_text(env_id: str, seed: int, expert: bool = False) -> dict:
    """A text episode, kept as the sha256 of its transcript (the text is long) plus its rewards."""
    env = envs.make(env_id)
    caps = env.unwrapped.caps
    rng = np.random.default_rng(2000 + seed)
    obs, info = env.reset(seed=seed)
    transcript, rewards, done = [obs, info["task"], info["admissible_actions"]], [], False
    while not done:
        if expert:
            action = env.unwrapped.expert_action()
        else:
            action = "order " + " ".join(str(int(rng.integers(0, int(cap * 1.2) + 1))) for cap in caps)
        obs, reward, terminated, truncated, info = env.step(action)
        transcript += [action, obs, reward, terminated, truncated, info["won"], info["action_valid"],
                       info["admissible_actions"]]
        rewards.append(reward)
        done = terminated or truncated
    env.close()
    digest = hashlib.sha256(json.dumps(transcript).encode()).hexdigest()
    return {"sha256": digest, "rewards": rewards, "won": info["won"]}


def record_all() -> dict:
    golden = {}
    for env_id in ENV_IDS:
        golden[env_id] = {str(seed): record(env_id, seed) for seed in SEEDS}
        golden[env_id]["expert"] = record(env_id, SEEDS[0], expert=True)
    for env_id in TEXT_ENV_IDS:
        golden[env_id] = {str(seed): record_text(env_id, seed) for seed in SEEDS[:2]}
        golden[env_id]["expert"] = record_text(env_id, SEEDS[0], expert=True)
    return golden


if __name__ == "__main__":
    import sys

    if GOLDEN.exists() and "--overwrite" not in sys.argv:
        sys.exit(f"{GOLDEN} exists; pass --overwrite to record it again from the current code")
    GOLDEN.write_text(json.dumps(record_all(), separators=(",", ":")))
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size // 1024} kB)")
