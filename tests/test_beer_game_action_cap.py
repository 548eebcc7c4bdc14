"""The beer game refuses an action beyond the action space's cap unread (issue 12, item 9)."""

from __future__ import annotations

import envs.inventory.multi_agent as beer_game
from envs.core import MAX_ACTION_CHARS
from envs.inventory.multi_agent import InventoryParallelEnv


def recording_parser(monkeypatch) -> list[int]:
    """Replace the order parser by one that records the length of every text it is given."""
    lengths: list[int] = []
    real = beer_game.parse_orders

    def parse(action, caps, labels):
        lengths.append(len(action))
        return real(action, caps, labels)

    monkeypatch.setattr(beer_game, "parse_orders", parse)
    return lengths


def test_a_4_mb_action_is_refused_unread_and_the_others_are_played(monkeypatch):
    lengths = recording_parser(monkeypatch)
    env = InventoryParallelEnv()
    env.reset(seed=0)
    huge = "order 4 " + "9" * 4_000_000
    observations, _, _, _, infos = env.step({"retailer": huge, "wholesaler": "order 5",
                                             "distributor": "order 5", "factory": "order 5"})
    assert infos["retailer"]["action_valid"] is False
    assert "4,000,008 characters long; an action has at most 4,096" in observations["retailer"]
    assert "Nothing was ordered this period" in observations["retailer"]
    assert all(infos[a]["action_valid"] for a in ("wholesaler", "distributor", "factory"))
    assert sorted(lengths) == [7, 7, 7]  # the parser saw the three short orders only
    # The retailer ordered nothing: nothing left the wholesaler for it (the others' orders did ship).
    assert env.chain.pipeline[0, :, 1].tolist() == [0, 5, 5, 5]


def test_the_cap_is_the_action_spaces_max_length(monkeypatch):
    lengths = recording_parser(monkeypatch)
    env = InventoryParallelEnv()
    env.reset(seed=0)
    assert env.action_space("retailer").max_length == MAX_ACTION_CHARS
    at_cap = "order 4".ljust(MAX_ACTION_CHARS)
    _, _, _, _, infos = env.step({a: at_cap for a in env.agents})
    assert all(info["action_valid"] for info in infos.values()), "an action of exactly the cap is read"
    _, _, _, _, infos = env.step({a: at_cap + " " for a in env.agents})
    assert not any(info["action_valid"] for info in infos.values()), "one character more is refused"
    assert max(lengths) == MAX_ACTION_CHARS and len(lengths) == 4
