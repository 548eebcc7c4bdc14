"""`agora envs list`, `agora envs show ID` and `agora play ID` (a person plays in the terminal)."""

from __future__ import annotations

import math
import re
import sys
from typing import TextIO

import numpy as np
from gymnasium import spaces

from envs.core import quote_action
from envs.registry import EnvSpec, list_envs, make, spec

SAMPLE_STEPS = 8


def list_command(out: TextIO | None = None) -> int:
    out = out or sys.stdout
    rows = [("id", "family", "agents", "interface", "engine")]
    for s in list_envs():
        rows.append((s.id, s.family or "-", s.kind, s.interface, s.engine))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip(), file=out)
    return 0


def _describe_space(space) -> str:
    """repr(space), except that a Text space's charset (the whole printable set) is counted, not listed."""
    from gymnasium.spaces import Text

    if isinstance(space, Text):
        return f"Text(min_length={space.min_length}, max_length={space.max_length}, charset: {len(space.character_set)} characters)"
    return repr(space)


def show_command(env_id: str, seed: int = 0, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    s = spec(env_id)
    print(f"id:          {s.id}", file=out)
    print(f"family:      {s.family or '-'}", file=out)
    print(f"agents:      {s.kind}", file=out)
    print(f"interface:   {s.interface}", file=out)
    print(f"engine:      {s.engine}", file=out)
    if s.description:
        print(f"description: {s.description}", file=out)
    env = make(s.id)
    try:
        if s.kind == "single":
            _show_single(env, seed, out)
        else:
            _show_multi(env, seed, out)
    finally:
        env.close()
    return 0


def _show_single(env, seed: int, out: TextIO) -> None:
    print(f"observation: {_describe_space(env.observation_space)}", file=out)
    print(f"action:      {_describe_space(env.action_space)}", file=out)
    obs, info = env.reset(seed=seed)
    if "task" in info:
        print(f"task:        {info['task']}", file=out)
    print(f"\n--- sample transcript (seed {seed}, scripted expert) ---", file=out)
    print(f"{obs}", file=out)
    for _ in range(SAMPLE_STEPS):
        action = env.unwrapped.expert_action()
        obs, reward, terminated, truncated, info = env.step(action)
        print(f"\n> {action}\n{obs}\n[reward {reward:g}]", file=out)
        if terminated or truncated:
            print(f"[episode over: won={info.get('won', False)}]", file=out)
            break


def _show_multi(env, seed: int, out: TextIO) -> None:
    observations, infos = env.reset(seed=seed)
    print(f"agents:      {', '.join(env.possible_agents)}", file=out)
    first = env.possible_agents[0]
    print(f"observation: {_describe_space(env.observation_space(first))} (per agent)", file=out)
    print(f"action:      {_describe_space(env.action_space(first))} (per agent)", file=out)
    task = infos.get(first, {}).get("task")
    if task:
        print(f"task:        {task}", file=out)
    print(f"\n--- sample transcript (seed {seed}, scripted expert) ---", file=out)
    for agent, obs in observations.items():
        print(f"[{agent}] {obs}", file=out)
    for _ in range(SAMPLE_STEPS):
        if not env.agents:
            break
        actions = env.expert_actions()
        observations, rewards, terms, truncs, infos = env.step(actions)
        for agent, action in actions.items():
            print(f"\n[{agent}] > {action}", file=out)
        for agent, obs in observations.items():
            print(f"[{agent}] {obs}  [reward {rewards.get(agent, 0):g}]", file=out)


def _ask(prompt: str, inp: TextIO, out: TextIO) -> str | None:
    print(prompt, end="", file=out, flush=True)
    line = inp.readline()
    if not line:  # end of input
        return None
    return line.rstrip("\n")


def _resolve_choice(line: str, admissible: list[str]) -> str:
    """A number picks from the listed actions; anything else is the action itself."""
    text = line.strip()
    if text.isdigit() and admissible and 1 <= int(text) <= len(admissible):
        return admissible[int(text) - 1]
    return line


def play_command(env_id: str, seed: int = 0, inp: TextIO | None = None, out: TextIO | None = None) -> int:
    inp, out = inp or sys.stdin, out or sys.stdout
    s = spec(env_id)
    env = make(s.id)
    try:
        if s.kind == "single":
            reader = _NumberReader.for_env(env)
            if reader is None:
                print("Type an action, or the number of a listed one. 'quit' ends the game.", file=out)
            else:
                print(f"Type {reader.expected}. 'quit' ends the game.", file=out)
            return _play_single(s, env, seed, inp, out, reader)
        print("Type an action, or the number of a listed one. 'quit' ends the game.", file=out)
        return _play_multi(env, seed, inp, out)
    finally:
        env.close()


def _print_admissible(admissible: list[str], out: TextIO) -> None:
    if admissible:
        print("Actions: " + "  ".join(f"[{i}] {a}" for i, a in enumerate(admissible, 1)), file=out)


class _NumberReader:
    """Reads a numeric (Box) action typed by a person: numbers separated by spaces or commas,
    with or without brackets (``0.2``, ``0.1 0.2 0.3``, ``[0.1, 0.2, 0.3]``, the form ``envs
    show`` prints). Bad input is explained, never stepped."""

    SEPARATORS = re.compile(r"[\s,;]+")

    def __init__(self, space: spaces.Box, labels: list[str] | None):
        self.space = space
        self.size = int(np.prod(space.shape))
        self.low = space.low.astype(np.float64).reshape(-1)
        self.high = space.high.astype(np.float64).reshape(-1)
        self.expected = self._describe(labels)

    @classmethod
    def for_env(cls, env) -> "_NumberReader | None":
        if not isinstance(env.action_space, spaces.Box):
            return None
        return cls(env.action_space, getattr(env.unwrapped, "action_labels", None))

    def _describe(self, labels: list[str] | None) -> str:
        if (self.low == self.low[0]).all() and (self.high == self.high[0]).all():
            bounds = f"each in [{self.low[0]:g}, {self.high[0]:g}]"
        else:
            bounds = "in " + ", ".join(f"[{a:g}, {b:g}]" for a, b in zip(self.low, self.high))
        shape = f" (an array of shape {self.space.shape})" if len(self.space.shape) > 1 else ""
        order = f", in this order: {', '.join(labels)}" if labels else ""
        middle = [(a + b) / 2 if np.isfinite(a + b) else 0.0 for a, b in zip(self.low, self.high)]
        example = " ".join(f"{m:g}" for m in middle)
        return (f"{self.size} number(s){shape}, {bounds}{order}; separate them with spaces or commas "
                f"(brackets are fine), e.g. '{example}'")

    def parse(self, line: str) -> tuple[np.ndarray | None, str]:
        """(action, "") or (None, what is wrong with the line)."""
        text = line.strip()
        if text[:1] in "[(" and text[-1:] in "])":
            text = text[1:-1]
        tokens = [t for t in self.SEPARATORS.split(text) if t]
        values = []
        for token in tokens:
            try:
                values.append(float(token))
            except ValueError:
                return None, f"{quote_action(token)} is not a number"
        if len(values) != self.size:
            return None, f"got {len(values)} number(s)"
        if not all(math.isfinite(v) for v in values):
            return None, "NaN and infinity are not allowed"
        outside = [f"{v:g}" for v, a, b in zip(values, self.low, self.high) if not a <= v <= b]
        if outside:
            return None, f"{', '.join(outside)} outside the bounds"
        return np.array(values, dtype=self.space.dtype).reshape(self.space.shape), ""


def _print_observation(obs, env, out: TextIO) -> None:
    """Text as it is; a numeric observation one labelled value per line when the env names them."""
    labels = getattr(env.unwrapped, "observation_labels", None)
    if isinstance(obs, np.ndarray) and labels is not None and len(labels) == obs.size:
        print("\n".join(f"{label}: {value:g}" for label, value in zip(labels, obs.reshape(-1))), file=out)
    else:
        print(obs, file=out)


def _play_single(s: EnvSpec, env, seed: int, inp: TextIO, out: TextIO, reader: _NumberReader | None) -> int:
    obs, info = env.reset(seed=seed)
    total = 0.0
    if reader is not None and info.get("task"):  # a numeric observation does not say what to do
        print(f"Task: {info['task']}", file=out)
    _print_observation(obs, env, out)
    while True:
        _print_admissible(info.get("admissible_actions", []), out)
        line = _ask("> ", inp, out)
        if line is None or line.strip().lower() in ("quit", "exit"):
            print(f"Stopped. Total reward {total:g}.", file=out)
            return 0
        if reader is None:
            action = _resolve_choice(line, info.get("admissible_actions", []))
        else:
            action, problem = reader.parse(line)
            if action is None:
                print(f"Invalid action: {problem}. Type {reader.expected}.", file=out)
                continue
        obs, reward, terminated, truncated, info = env.step(action)
        total += reward
        _print_observation(obs, env, out)
        if reader is not None:
            print(f"[reward {reward:g}]", file=out)
        if terminated or truncated:
            outcome = "won" if info.get("won") else "over"
            print(f"Episode {outcome}. Total reward {total:g}.", file=out)
            return 0


def _play_multi(env, seed: int, inp: TextIO, out: TextIO) -> int:
    observations, infos = env.reset(seed=seed)
    totals = {a: 0.0 for a in env.possible_agents}
    while env.agents:
        actions = {}
        for agent in env.agents:
            print(f"\n[{agent}] {observations[agent]}", file=out)
            admissible = infos.get(agent, {}).get("admissible_actions", [])
            _print_admissible(admissible, out)
            line = _ask(f"{agent}> ", inp, out)
            if line is None or line.strip().lower() in ("quit", "exit"):
                print(f"Stopped. Rewards {totals}.", file=out)
                return 0
            actions[agent] = _resolve_choice(line, admissible)
        observations, rewards, _, _, infos = env.step(actions)
        for agent, r in rewards.items():
            totals[agent] += r
    print(f"Game over. Rewards {totals}.", file=out)
    return 0
