"""The environment contract (envs.testing), run on every registered id: later families are covered for free.

An id whose optional engine (ALFWorld, ScienceWorld, ...) is not installed is skipped with the
engine's install hint.
"""

from __future__ import annotations

import functools

import gymnasium
import pytest

import envs
from envs.testing import check_env

ALL_IDS = [s.id for s in envs.list_envs()]
# The one per-id knob: check_env options for an id whose engine is too slow for the defaults
# (e.g. {"seeds": (0,)} plays one expert episode instead of three). Every id not listed, and
# today that is every id, runs envs.testing's defaults.
CHECK_OPTIONS: dict[str, dict] = {}
SINGLE_AGENT_IDS = [s.id for s in envs.list_envs(kind="single")]


@functools.cache
def missing_engine(env_id: str) -> str | None:
    """Why an env on an optional engine cannot be built here, or None."""
    try:
        envs.make(env_id).close()
    except ImportError as err:
        return str(err)
    return None


def skip_without_engine(env_id: str) -> None:
    if missing_engine(env_id):
        pytest.skip(f"{env_id}: {missing_engine(env_id)}")


def test_every_kind_of_env_is_registered():
    kinds = {(s.kind, s.interface) for s in envs.list_envs()}
    assert {("single", "text"), ("single", "numeric"), ("multi", "text")} <= kinds


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_env_keeps_the_contract(env_id):
    skip_without_engine(env_id)
    check_env(env_id, **CHECK_OPTIONS.get(env_id, {}))


@pytest.mark.parametrize("env_id", SINGLE_AGENT_IDS)
def test_gymnasium_make_works_with_the_namespaced_id(env_id):
    skip_without_engine(env_id)
    env = gymnasium.make(env_id)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    env.close()
