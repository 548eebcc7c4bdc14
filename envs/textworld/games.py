"""TextWorld games made by TextWorld's own generator, cached on disk by their settings.

    path, generated = game_file("coin_collector", {"level": 10}, seed=3)   # generated == True
    path, generated = game_file("coin_collector", {"level": 10}, seed=3)   # generated == False: cached

Challenges are TextWorld's (``textworld.challenges``): their settings are exactly ``tw-make
<challenge>``'s options, given as a dict (``{"recipe": 2, "open": True}`` is ``--recipe 2 --open``)
and parsed by the challenge's own argument parser, so defaults and checks are TextWorld's.
``custom`` is ``tw-make custom``: ``world_size``, ``nb_objects``, ``quest_length``,
``quest_breadth``, ``nb_parallel_quests``, ``theme``, ``include_adj``.

A game's file is ``<cache_dir>/<challenge>/<key>.z8`` (with TextWorld's ``.json`` beside it), the
key a hash of the challenge, settings, seed and TextWorld version. Games are written to a temporary
folder and moved in place, so concurrent makers never see half a game. The cache dir defaults to
``$AGORA_TEXTWORLD_CACHE`` or ``~/.cache/agora/textworld``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import tempfile
import warnings

CHALLENGES = ("coin_collector", "treasure_hunter", "cooking", "custom")
# What an env plays when given no settings: small games. Coin collector level 10 (a 10-room path,
# 10 steps) is where random play fails and the tiny policy learns (training/configs/textworld_tiny.yaml).
DEFAULT_SETTINGS = {"coin_collector": {"level": 10}, "treasure_hunter": {"level": 5}, "cooking": {"recipe": 1, "take": 1, "go": 1}}
CUSTOM_SETTINGS = {  # tw-make custom's options (its defaults), as GameOptions fields
    "world_size": 5,
    "nb_objects": 10,
    "quest_length": 5,
    "quest_breadth": 1,
    "nb_parallel_quests": 1,
    "theme": "house",
    "include_adj": False,
}


@contextlib.contextmanager
def quiet_jericho():
    """Jericho warns that generated games are not in its list of known games; TextWorld scores them itself."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is not fully supported", module="jericho")
        yield


def default_cache_dir() -> str:
    return os.environ.get("AGORA_TEXTWORLD_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "agora", "textworld")


def _challenge_argv(settings: dict) -> list[str]:
    argv = []
    for key, value in sorted(settings.items()):
        flag = "--" + key.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value is not False and value is not None:
            argv += [flag, str(value)]
    return argv


def challenge_settings(challenge: str, settings: dict | None) -> dict:
    """The full, validated settings of a challenge (TextWorld's defaults filled in)."""
    settings = dict(settings or {})
    if challenge not in CHALLENGES:
        raise ValueError(f"challenge must be one of {CHALLENGES}, got {challenge!r}")
    if challenge == "custom":
        unknown = sorted(set(settings) - set(CUSTOM_SETTINGS))
        if unknown:
            raise ValueError(f"unknown custom game settings {unknown}; expected some of {sorted(CUSTOM_SETTINGS)}")
        return {**CUSTOM_SETTINGS, **settings}
    import textworld.challenges

    _, _, add_arguments = textworld.challenges.CHALLENGES[f"tw-{challenge}"]
    parser = argparse.ArgumentParser(prog=f"tw-{challenge}", add_help=False, exit_on_error=False)
    add_arguments(parser)
    known = {action.dest for action in parser._actions}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ValueError(f"unknown {challenge} settings {unknown}; expected some of {sorted(known)}")
    try:
        parsed = parser.parse_args(_challenge_argv(settings))
    except (argparse.ArgumentError, SystemExit) as exc:  # a required option is missing or a value is bad
        raise ValueError(f"bad {challenge} settings {settings}: {exc}") from None
    return vars(parsed)


def cache_key(challenge: str, settings: dict, seed: int) -> str:
    import textworld

    blob = json.dumps({"challenge": challenge, "settings": settings, "seed": seed, "textworld": textworld.__version__}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def _generate(challenge: str, settings: dict, seed: int, path: str) -> None:
    import textworld
    import textworld.challenges

    options = textworld.GameOptions()
    options.seeds = seed
    options.path = path
    if challenge == "custom":
        options.nb_rooms = settings["world_size"]
        options.nb_objects = settings["nb_objects"]
        options.nb_parallel_quests = settings["nb_parallel_quests"]
        options.chaining.min_length = options.chaining.max_length = options.chaining.max_depth = settings["quest_length"]
        options.chaining.min_breadth = options.chaining.max_breadth = settings["quest_breadth"]
        options.grammar.theme = settings["theme"]
        options.grammar.include_adj = settings["include_adj"]
        try:
            textworld.make(options)
        except textworld.generator.QuestGenerationError as exc:
            raise ValueError(f"TextWorld can generate no quest with custom settings {settings}: relax them") from exc
    else:
        _, make_game, _ = textworld.challenges.CHALLENGES[f"tw-{challenge}"]
        game = make_game(settings=settings, options=options)
        textworld.generator.compile_game(game, options)


def game_file(challenge: str, settings: dict | None, seed: int, cache_dir: str | None = None) -> tuple[str, bool]:
    """The path of the game for (challenge, settings, seed), and whether it had to be generated."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    settings = challenge_settings(challenge, settings)
    folder = os.path.join(cache_dir or default_cache_dir(), challenge)
    key = cache_key(challenge, settings, seed)
    path = os.path.join(folder, f"{key}.z8")
    if os.path.isfile(path) and os.path.isfile(path[:-3] + ".json"):
        return path, False
    os.makedirs(folder, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".making-") as tmp, quiet_jericho():
        _generate(challenge, settings, seed, os.path.join(tmp, f"{key}.z8"))
        os.replace(os.path.join(tmp, f"{key}.json"), path[:-3] + ".json")
        os.replace(os.path.join(tmp, f"{key}.z8"), path)  # last: its presence means the game is whole
    return path, True
