"""agora's environment contract as one call per kind of env, for agora's tests and plugin authors.

    from envs.testing import check_env
    check_env("agora/InventoryText-v0")      # a registered id
    check_env(MyEnv)                         # a class or any zero-argument constructor
    check_env(MyEnv(), goal_based=False)     # an instance (used as is, not closed)

``check_env`` picks ``check_text_env``, ``check_numeric_env`` or ``check_multi_agent_env`` from
the env (or, for a multi-agent env with Box spaces, the numeric multi-agent rules at the end of
this module); each can be called directly too. A check runs every rule of the contract written in
:mod:`envs.core` (Gymnasium's ``check_env`` or PettingZoo's ``parallel_api_test`` among them)
and raises :class:`EnvContractError` at the first broken one, its message starting with the
rule's name: ``rule 'bad input never raises': step('') raised ValueError: ...``.

``goal_based`` (whether the expert must win; an id's spec says, otherwise True), ``seeds`` (the
expert plays one episode per seed) and ``max_steps`` (the longest expert episode allowed) are
the only knobs. An env whose optional engine is missing raises its ``ImportError`` unchanged.
"""

from __future__ import annotations

import contextlib
import io
import math
import random
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env as gymnasium_check_env
from pettingzoo import ParallelEnv

import envs

SEEDS = (0, 1, 2)
MAX_STEPS = 400  # no registered env runs longer than this under its expert
FREE_FORM_ACTIONS = ("look", "order 3", "wait")  # tried by the random episode where none are listed
WRONG_TYPES = (42, None, b"look", ["look"])

# The rules, by the name an EnvContractError gives.
BUILDS = "the env builds"
OBSERVATIONS = "observations are non-empty str in the observation space"
INFO_KEYS = "info holds task, admissible_actions, won and, after a step, action_valid"
NUMERIC_OBSERVATIONS = "observations lie in the observation space"
NUMERIC_INFO_KEYS = "info holds task and won"
BAD_INPUT_NEVER_RAISES = "bad input never raises"
BAD_INPUT_EXPLAINED = "bad input is explained with action_valid=False"
OUT_OF_RANGE_ACTIONS = "out-of-range actions (NaN, inf, huge) never crash and give a finite reward"
WRONG_TYPE_TEXT = "a non-str action raises TypeError"
WRONG_TYPE_NUMERIC = "a str or None action raises TypeError"
DETERMINISM = "same seed and actions give the same transcript"
SEEDS_VARY = "different seeds give different episodes"
AFTER_THE_END = "stepping a finished episode is explained, not raised"
EXPERT_EXISTS = "the env ships a scripted expert"
EXPERT_VALID = "the scripted expert plays valid actions to the end of the episode"
EXPERT_WINS = "the scripted expert wins a goal-based env"
GYMNASIUM_CHECKER = "gymnasium check_env passes"
PETTINGZOO_CHECKER = "pettingzoo parallel_api_test passes"
AEC_CONTRACT = "the AEC form (parallel_to_aec) keeps the text contract"


class EnvContractError(AssertionError):
    """An env broke a rule of agora's env contract; ``rule`` names it."""

    def __init__(self, rule: str, detail: str):
        self.rule = rule
        super().__init__(f"rule '{rule}': {detail}")


class _Broken(Exception):
    """Raised inside a rule with the detail of what went wrong."""


@contextlib.contextmanager
def _rule(name: str) -> Iterator[None]:
    """Report any failure inside the block, expected or not, under the rule's name."""
    try:
        yield
    except EnvContractError:
        raise
    except _Broken as broken:
        raise EnvContractError(name, str(broken)) from None
    except Exception as err:
        raise EnvContractError(name, f"{type(err).__name__}: {err}") from err


def _expect(condition: bool, detail: str) -> None:
    if not condition:
        raise _Broken(detail)


def _call(where: str, step: Callable[..., Any], *args: Any) -> Any:
    """``step(*args)``, with an exception reported as what was called and what it raised."""
    try:
        return step(*args)
    except EnvContractError:
        raise
    except Exception as err:
        raise _Broken(f"{where} raised {type(err).__name__}: {err}") from None


def _expect_raises(errors: tuple[type[Exception], ...], where: str, step: Callable[..., Any], *args: Any) -> None:
    """``step(*args)`` must raise one of ``errors`` (a programmer error, such as a wrong type)."""
    try:
        step(*args)
    except errors:
        return
    except Exception as err:
        expected = " or ".join(e.__name__ for e in errors)
        raise _Broken(f"{where} raised {type(err).__name__}, not {expected}: {err}") from None
    raise _Broken(f"{where} did not raise")


def _shown(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def fuzz_actions(seed: int) -> list[str]:
    """Bad text actions: empty, random unicode, control characters, 100 kB, tag spam."""
    rng = random.Random(seed)
    unicode_junk = "".join(chr(rng.randrange(0x20, 0x2FFFF)) for _ in range(200))
    return ["", unicode_junk, "\x00\x01\x02 \u202e\ufeff", "x" * 100_000, "<action>" * 1000, "go to " + "\u00e9" * 5000]


# --- opening the env --------------------------------------------------------------------


@contextlib.contextmanager
def _opened(env: Any, kind: type | None = None) -> Iterator[tuple[Any, envs.EnvSpec | None]]:
    """(the unwrapped env, its spec or None) for an id, a constructor or an instance of ``kind``."""
    if isinstance(env, str):
        spec = envs.spec(env)
        built, owned = envs.make(spec.id), True
    elif isinstance(env, (gym.Env, ParallelEnv)):
        spec, built, owned = None, env, False
    elif callable(env):
        spec, owned = None, True
        try:
            built = env()
        except ImportError:
            raise
        except Exception as err:
            raise EnvContractError(BUILDS, f"{_shown(env)}() raised {type(err).__name__}: {err}") from err
        _expect_env(built)
    else:
        raise TypeError(f"check an env id (str), an env class or constructor, or an env instance; got {_shown(env)}")
    try:
        if kind is not None and not isinstance(built.unwrapped, kind):
            raise TypeError(f"this check is for a {kind.__module__.split('.')[0]} {kind.__name__}, got "
                            f"{type(built.unwrapped).__name__}; check_env picks the right check")
        yield built.unwrapped, spec
    finally:
        if owned:
            built.close()


def _expect_env(built: Any) -> None:
    if not isinstance(built, (gym.Env, ParallelEnv)):
        raise EnvContractError(BUILDS, f"the constructor returned {_shown(built)}, not a gymnasium.Env or pettingzoo.ParallelEnv")


def _goal_based(goal_based: bool | None, spec: envs.EnvSpec | None) -> bool:
    if goal_based is not None:
        return goal_based
    return spec.goal_based if spec is not None else True


def check_env(env: Any, **options: Any) -> None:
    """Run the contract that fits the env: multi-agent, single-agent text or single-agent numeric."""
    with _opened(env) as (opened, spec):
        if isinstance(opened, ParallelEnv) and not _has_text_actions(opened):
            _check_numeric_multi_agent(opened, spec, **options)
        elif isinstance(opened, ParallelEnv):
            _check_multi_agent(opened, spec, **options)
        elif isinstance(opened.action_space, spaces.Text):
            _check_text(opened, spec, **options)
        else:
            _check_numeric(opened, spec, **options)


def check_text_env(env: Any, **options: Any) -> None:
    """The single-agent text contract (see :class:`envs.core.TextEnv`)."""
    with _opened(env, gym.Env) as (opened, spec):
        _check_text(opened, spec, **options)


def check_numeric_env(env: Any, **options: Any) -> None:
    """The single-agent numeric contract: Gymnasium's, plus robust, deterministic steps and an expert."""
    with _opened(env, gym.Env) as (opened, spec):
        _check_numeric(opened, spec, **options)


def check_multi_agent_env(env: Any, **options: Any) -> None:
    """The multi-agent text contract (see :class:`envs.core.MultiAgentTextEnv`)."""
    with _opened(env, ParallelEnv) as (opened, spec):
        _check_multi_agent(opened, spec, **options)


# --- shared by every contract ------------------------------------------------------------


def _first_difference(a: list, b: list) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"row {i} differs: {_shown(x, 120)} then {_shown(y, 120)}"
    return f"one transcript has {len(a)} rows, the other {len(b)}"


def _expect_same(first: list, again: list, what: str) -> None:
    _expect(first == again, f"{what} played twice gave two transcripts; {_first_difference(first, again)}")


def _expect_expert(env: Any, method: str) -> None:
    """The expert rule: the env's declared expert method answers."""
    with _rule(EXPERT_EXISTS):
        try:
            getattr(env, method)()
        except (NotImplementedError, AttributeError) as err:
            raise _Broken(f"{method}() is missing or not implemented ({type(err).__name__}: {err})") from None


def _expert_outcomes(episodes: dict[int, tuple[list, dict, bool]], goal_based: bool, max_steps: int) -> None:
    """Each expert episode ended with valid actions (and a win, where there is a goal)."""
    for seed, (rows, info, ended) in episodes.items():
        with _rule(EXPERT_VALID):
            _expect(ended, f"seed {seed}: the expert's episode did not end within max_steps={max_steps}")
            invalid = [i for i, row in enumerate(rows[1:], 1) if not row[-1]]  # rows end with action_valid
            _expect(not invalid, f"seed {seed}: the expert's action at step {invalid[0] if invalid else 0} was invalid")
        if goal_based:
            with _rule(EXPERT_WINS):
                _expect(info["won"] is True, f"seed {seed}: the expert's episode ended with won={info['won']!r}")


def _seeds_vary(episodes: dict[int, tuple[list, dict, bool]], replay: Callable[[int], list]) -> None:
    with _rule(SEEDS_VARY):
        transcripts = [rows for rows, _, _ in episodes.values()]
        if len(transcripts) < 2:  # one seed asked for: compare with the next seed
            transcripts.append(replay(max(episodes) + 1))
        _expect(any(t != transcripts[0] for t in transcripts[1:]),
                f"seeds {sorted(episodes)} all gave the same expert transcript (is reset(seed=) used?)")


@contextlib.contextmanager
def _warnings_are_errors() -> Iterator[None]:
    """Gymnasium's and PettingZoo's checkers report most problems as warnings."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("error")
        yield


# --- single-agent text -------------------------------------------------------------------


def _text_obs(space: spaces.Space, obs: Any, where: str) -> None:
    if not (isinstance(obs, str) and obs and space.contains(obs)):
        raise EnvContractError(OBSERVATIONS, f"{where} returned the observation {_shown(obs)}")


def _text_info(info: Any, where: str, stepped: bool) -> None:
    with _rule(INFO_KEYS):
        _expect(isinstance(info, dict), f"{where}: info is {_shown(info)}, not a dict")
        _expect(isinstance(info.get("task"), str) and info["task"], f"{where}: info['task'] is {_shown(info.get('task'))}")
        actions = info.get("admissible_actions")
        _expect(isinstance(actions, list) and all(isinstance(a, str) for a in actions),
                f"{where}: info['admissible_actions'] is {_shown(actions)}, not a list of str")
        _expect(isinstance(info.get("won"), bool), f"{where}: info['won'] is {_shown(info.get('won'))}, not a bool")
        if stepped:
            _expect(isinstance(info.get("action_valid"), bool),
                    f"{where}: info['action_valid'] is {_shown(info.get('action_valid'))}, not a bool")


def _text_episode(env: gym.Env, seed: int, choose: Callable[[dict], str], max_steps: int) -> tuple[list, dict, bool]:
    """(transcript, last info, whether it ended) of one episode; every observation and info checked."""
    obs, info = env.reset(seed=seed)
    _text_obs(env.observation_space, obs, f"reset(seed={seed})")
    _text_info(info, f"reset(seed={seed})", stepped=False)
    rows = [(obs, info["task"], tuple(info["admissible_actions"]))]
    for _ in range(max_steps):
        action = choose(info)
        obs, reward, terminated, truncated, info = env.step(action)
        where = f"step({_shown(action)}) after reset(seed={seed})"
        _text_obs(env.observation_space, obs, where)
        _text_info(info, where, stepped=True)
        rows.append((action, obs, reward, terminated, truncated, tuple(info["admissible_actions"]),
                     info["won"], info["action_valid"]))
        if terminated or truncated:
            return rows, info, True
    return rows, info, False


def _random_text_episode(env: gym.Env, seed: int, n_steps: int = 30) -> list:
    rng = random.Random(seed)
    rows, _, _ = _text_episode(env, seed, lambda info: rng.choice(info["admissible_actions"] or FREE_FORM_ACTIONS), n_steps)
    return rows


def _check_text(env: gym.Env, spec: envs.EnvSpec | None, *, goal_based: bool | None = None,
                seeds: Sequence[int] = SEEDS, max_steps: int = MAX_STEPS) -> None:
    goal_based = _goal_based(goal_based, spec)
    with _rule(INFO_KEYS):  # first a step every env accepts without an expert: its first suggestion
        _, info = env.reset(seed=seeds[0])
        _text_info(info, f"reset(seed={seeds[0]})", stepped=False)
        action = info["admissible_actions"][0] if info["admissible_actions"] else FREE_FORM_ACTIONS[0]
        _, _, _, _, info = env.step(action)
        _text_info(info, f"step({action!r})", stepped=True)

    env.reset(seed=seeds[0])
    _expect_expert(env, "expert_action")

    def expert(seed: int) -> tuple[list, dict, bool]:
        with _rule(EXPERT_VALID):
            return _text_episode(env, seed, lambda _: env.expert_action(), max_steps)

    episodes = {seed: expert(seed) for seed in seeds}
    _expert_outcomes(episodes, goal_based, max_steps)
    with _rule(AFTER_THE_END):  # the last expert episode has just ended
        obs, reward, terminated, _, info = _call("step('look') after the episode ended", env.step, "look")
        _expect(terminated and reward == 0.0 and info.get("action_valid") is False and "reset" in obs,
                f"step('look') after the end gave terminated={terminated}, reward={reward}, "
                f"action_valid={info.get('action_valid')!r}, observation {_shown(obs)} (should say to reset())")

    with _rule(DETERMINISM):
        _expect_same(episodes[seeds[0]][0], expert(seeds[0])[0], f"the expert's episode with seed {seeds[0]}")
        _expect_same(_random_text_episode(env, 4), _random_text_episode(env, 4), "a random episode with seed 4")
    _seeds_vary(episodes, lambda seed: expert(seed)[0])

    env.reset(seed=seeds[0])
    for action in fuzz_actions(0):
        where = f"step({_shown(action, 40)})"
        with _rule(BAD_INPUT_NEVER_RAISES):
            obs, _, terminated, truncated, info = _call(where, env.step, action)
        _text_obs(env.observation_space, obs, where)
        with _rule(BAD_INPUT_EXPLAINED):
            _expect(info.get("action_valid") is False, f"{where} gave action_valid={info.get('action_valid')!r}")
        if terminated or truncated:
            env.reset(seed=seeds[0])

    env.reset(seed=seeds[0])
    for wrong in WRONG_TYPES:
        with _rule(WRONG_TYPE_TEXT):
            _expect_raises((TypeError,), f"step({wrong!r})", env.step, wrong)

    with _rule(GYMNASIUM_CHECKER), _warnings_are_errors():
        gymnasium_check_env(env, skip_render_check=True)


# --- single-agent numeric ----------------------------------------------------------------


def _numeric_view(env: gym.Env, obs: Any, info: Any, where: str) -> None:
    if not env.observation_space.contains(obs):
        raise EnvContractError(NUMERIC_OBSERVATIONS, f"{where} returned the observation {_shown(obs)}")
    with _rule(NUMERIC_INFO_KEYS):
        _expect(isinstance(info.get("task"), str) and isinstance(info.get("won"), bool),
                f"{where}: info is {_shown(info, 120)}")


def _numeric_step(env: gym.Env, action: Any, where: str) -> tuple:
    obs, reward, terminated, truncated, info = env.step(action)
    _numeric_view(env, obs, info, where)
    return obs, reward, terminated, truncated, info


def _numeric_episode(env: gym.Env, seed: int, choose: Callable[[], Any], max_steps: int) -> tuple[list, dict, bool]:
    obs, info = env.reset(seed=seed)
    _numeric_view(env, obs, info, f"reset(seed={seed})")
    rows = [obs.tolist()]
    for _ in range(max_steps):
        action = choose()
        in_space = env.action_space.contains(np.asarray(action, dtype=env.action_space.dtype))
        obs, reward, terminated, truncated, info = _numeric_step(env, action, f"step({_shown(action)})")
        rows.append((obs.tolist(), reward, terminated, truncated, info["won"], in_space))
        if terminated or truncated:
            return rows, info, True
    return rows, info, False


def _check_numeric(env: gym.Env, spec: envs.EnvSpec | None, *, goal_based: bool | None = None,
                   seeds: Sequence[int] = SEEDS, max_steps: int = MAX_STEPS) -> None:
    goal_based = _goal_based(goal_based, spec)
    space = env.action_space

    def sampled(seed: int) -> list:
        space.seed(seed)
        return _numeric_episode(env, seed, space.sample, 20)[0]

    env.reset(seed=seeds[0])
    _expect_expert(env, "expert_action")

    def expert(seed: int) -> tuple[list, dict, bool]:
        with _rule(EXPERT_VALID):  # a numeric expert's action is "valid" when it lies in the action space
            return _numeric_episode(env, seed, env.expert_action, max_steps)

    _expert_outcomes({seed: expert(seed) for seed in seeds}, goal_based, max_steps)
    with _rule(DETERMINISM):
        _expect_same(sampled(5), sampled(5), "an episode of sampled actions with seed 5")

    env.reset(seed=seeds[0])
    shape = space.shape
    for bad in (np.full(shape, np.nan), np.full(shape, np.inf), np.full(shape, -1e9), np.full(shape, 1e12)):
        where = f"step({_shown(bad.tolist())})"
        with _rule(OUT_OF_RANGE_ACTIONS):
            _, reward, terminated, truncated, _ = _call(where, _numeric_step, env, bad.astype(space.dtype), where)
            _expect(math.isfinite(reward), f"{where} gave the reward {reward!r}")
        if terminated or truncated:
            env.reset(seed=seeds[0])

    env.reset(seed=seeds[0])
    with _rule(WRONG_TYPE_NUMERIC):
        _expect_raises((TypeError,), "step('order 3')", env.step, "order 3")
        env.reset(seed=seeds[0])
        _expect_raises((TypeError,), "step(None)", env.step, None)

    with _rule(GYMNASIUM_CHECKER), _warnings_are_errors():
        gymnasium_check_env(env, skip_render_check=True)


# --- multi-agent -------------------------------------------------------------------------


def _agent_views(env: ParallelEnv, agents: list[str], observations: Any, infos: Any, where: str, stepped: bool) -> None:
    """Each of ``agents`` (those live before the call) has a text observation and the info keys."""
    if not (isinstance(observations, dict) and isinstance(infos, dict)):
        raise EnvContractError(OBSERVATIONS, f"{where} returned {type(observations).__name__} observations and "
                                             f"{type(infos).__name__} infos, not dicts keyed by agent")
    for agent in agents:
        _text_obs(env.observation_space(agent), observations.get(agent), f"{where} for agent {agent!r}")
        _text_info(infos.get(agent), f"{where}, agent {agent!r}", stepped)


def _multi_episode(env: ParallelEnv, seed: int, choose: Callable[[dict], dict], max_steps: int) -> tuple[list, dict, bool]:
    observations, infos = env.reset(seed=seed)
    _agent_views(env, env.agents, observations, infos, f"reset(seed={seed})", stepped=False)
    rows = [sorted(observations.items())]
    for _ in range(max_steps):
        actions, live = choose(infos), list(env.agents)
        observations, rewards, terms, truncs, infos = env.step(actions)
        _agent_views(env, live, observations, infos, f"step({_shown(actions)}) after reset(seed={seed})", stepped=True)
        won = [info["won"] for info in infos.values()]
        rows.append((sorted(actions.items()), sorted(observations.items()), sorted(rewards.items()),
                     sorted(terms.items()), sorted(truncs.items()), won,
                     all(info["action_valid"] for info in infos.values())))
        if not env.agents:
            return rows, {"won": all(won)}, True
    return rows, {"won": False}, False


def _check_multi_agent(env: ParallelEnv, spec: envs.EnvSpec | None, *, goal_based: bool | None = None,
                       seeds: Sequence[int] = SEEDS, max_steps: int = MAX_STEPS) -> None:
    from pettingzoo.test import parallel_api_test  # imported here: it takes most of a second
    from pettingzoo.utils.conversions import parallel_to_aec

    goal_based = _goal_based(goal_based, spec)

    def suggested(infos: dict) -> dict:
        return {a: (infos[a]["admissible_actions"] or FREE_FORM_ACTIONS)[0] for a in env.agents}

    with _rule(INFO_KEYS):
        _multi_episode(env, seeds[0], suggested, 1)

    env.reset(seed=seeds[0])
    _expect_expert(env, "expert_actions")

    def expert(seed: int) -> tuple[list, dict, bool]:
        with _rule(EXPERT_VALID):
            return _multi_episode(env, seed, lambda _: env.expert_actions(), max_steps)

    def random_episode(seed: int) -> list:
        rng = random.Random(seed)
        pick = lambda infos: {a: rng.choice(infos[a]["admissible_actions"] or FREE_FORM_ACTIONS) for a in env.agents}
        return _multi_episode(env, seed, pick, 30)[0]

    episodes = {seed: expert(seed) for seed in seeds}
    _expert_outcomes(episodes, goal_based, max_steps)
    with _rule(AFTER_THE_END):  # the last expert game has just ended
        _call("step() after the game ended", env.step, {a: "look" for a in env.possible_agents})
    with _rule(DETERMINISM):
        _expect_same(episodes[seeds[0]][0], expert(seeds[0])[0], f"the expert team's game with seed {seeds[0]}")
        _expect_same(random_episode(4), random_episode(4), "a random game with seed 4")
    _seeds_vary(episodes, lambda seed: expert(seed)[0])

    env.reset(seed=seeds[0])
    for action in [*fuzz_actions(1), None]:  # None: the agent is left out of the actions dict
        if not env.agents:
            env.reset(seed=seeds[0])
        live = list(env.agents)
        actions = dict.fromkeys(live, action) if action is not None else {}
        where = f"step({{agent: {_shown(action, 40)} for every agent}})" if action is not None else "step({})"
        with _rule(BAD_INPUT_NEVER_RAISES):
            observations, _, _, _, infos = _call(where, env.step, actions)
        _agent_views(env, live, observations, infos, where, stepped=True)
        with _rule(BAD_INPUT_EXPLAINED):
            _expect(all(info["action_valid"] is False for info in infos.values()),
                    f"{where} gave action_valid {[info['action_valid'] for info in infos.values()]}")

    env.reset(seed=seeds[0])
    for wrong in (w for w in WRONG_TYPES if w is not None):  # None means "no action" here
        with _rule(WRONG_TYPE_TEXT):
            actions = {env.agents[0]: wrong}
            _expect_raises((TypeError,), f"step({actions!r})", env.step, actions)

    with _rule(PETTINGZOO_CHECKER), _warnings_are_errors():
        parallel_api_test(env, num_cycles=200)
    with _rule(AEC_CONTRACT):
        _aec_contract(parallel_to_aec(env))


def _aec_contract(env: Any) -> None:
    """PettingZoo's AEC api_test assumes NumPy observations; these are its checks for text."""
    env.reset(seed=0)
    _expect(set(env.agents) == set(env.possible_agents), f"after reset agents are {env.agents}")
    seen = set()
    for agent in env.agent_iter(max_iter=2000):
        seen.add(agent)
        obs, reward, terminated, truncated, info = env.last()
        _expect(env.observation_space(agent).contains(obs), f"agent {agent!r} observes {_shown(obs)}")
        _expect(env.observe(agent) == obs, f"observe({agent!r}) differs from last()")
        _expect(isinstance(reward, (int, float)) and math.isfinite(reward), f"agent {agent!r} got the reward {reward!r}")
        _expect({"task", "admissible_actions", "won"} <= set(info), f"agent {agent!r} has the info keys {sorted(info)}")
        if terminated or truncated:
            env.step(None)
        else:
            env.step(info["admissible_actions"][0] if info["admissible_actions"] else env.action_space(agent).sample())
    _expect(seen == set(env.possible_agents), f"only {sorted(seen)} of {env.possible_agents} ever acted")
    _expect(not env.agents, "the game did not end within 2,000 agent turns")


# --- multi-agent numeric (Box spaces per agent, for MARL libraries) ------------------------


def _has_text_actions(env: ParallelEnv) -> bool:
    return isinstance(env.action_space(env.possible_agents[0]), spaces.Text)


def _numeric_multi_episode(env: ParallelEnv, seed: int, choose: Callable[[], dict], max_steps: int) -> tuple[list, dict, bool]:
    """Like ``_multi_episode`` for Box spaces; a row's last entry says whether every action lay in its space."""
    observations, infos = env.reset(seed=seed)
    rows = []
    for _ in range(max_steps + 1):
        where = f"reset(seed={seed})" if not rows else f"step {len(rows)} after reset(seed={seed})"
        for agent, obs in observations.items():
            if not env.observation_space(agent).contains(obs):
                raise EnvContractError(NUMERIC_OBSERVATIONS, f"{where} gave {agent!r} the observation {_shown(obs)}")
            with _rule(NUMERIC_INFO_KEYS):
                info = infos[agent]
                _expect(isinstance(info.get("task"), str) and isinstance(info.get("won"), bool), f"{where}: {_shown(info)}")
        if rows and not env.agents:
            return rows, {"won": all(info["won"] for info in infos.values())}, True
        if len(rows) == max_steps:
            break
        actions = choose()
        in_space = all(env.action_space(a).contains(np.asarray(x, dtype=env.action_space(a).dtype)) for a, x in actions.items())
        observations, rewards, _, _, infos = env.step(actions)
        rows.append((sorted((a, o.tolist()) for a, o in observations.items()), sorted(rewards.items()), in_space))
    return rows, {"won": False}, False


def _check_numeric_multi_agent(env: ParallelEnv, spec: envs.EnvSpec | None, *, goal_based: bool | None = None,
                               seeds: Sequence[int] = SEEDS, max_steps: int = MAX_STEPS) -> None:
    from pettingzoo.test import parallel_api_test

    goal_based = _goal_based(goal_based, spec)

    def sampled(seed: int) -> list:
        for agent in env.possible_agents:
            env.action_space(agent).seed(seed)
        return _numeric_multi_episode(env, seed, lambda: {a: env.action_space(a).sample() for a in env.agents}, 20)[0]

    env.reset(seed=seeds[0])
    _expect_expert(env, "expert_actions")

    def expert(seed: int) -> tuple[list, dict, bool]:
        with _rule(EXPERT_VALID):  # "valid" here: every expert action lies in its action space
            return _numeric_multi_episode(env, seed, env.expert_actions, max_steps)

    _expert_outcomes({seed: expert(seed) for seed in seeds}, goal_based, max_steps)
    with _rule(DETERMINISM):
        _expect_same(sampled(5), sampled(5), "an episode of sampled actions with seed 5")

    env.reset(seed=seeds[0])
    for value in (np.nan, np.inf, -1e9, 1e12):
        where = f"step(every action full of {value})"
        actions = {a: np.full(env.action_space(a).shape, value).astype(env.action_space(a).dtype) for a in env.agents}
        with _rule(OUT_OF_RANGE_ACTIONS):
            _, rewards, _, _, _ = _call(where, env.step, actions)
            _expect(all(math.isfinite(r) for r in rewards.values()), f"{where} gave the rewards {rewards}")
        if not env.agents:
            env.reset(seed=seeds[0])

    env.reset(seed=seeds[0])
    with _rule(WRONG_TYPE_NUMERIC):
        _expect_raises((TypeError,), "step({agent: 'order 3'})", env.step, {env.agents[0]: "order 3"})

    with _rule(PETTINGZOO_CHECKER), _warnings_are_errors():
        parallel_api_test(env, num_cycles=200)
