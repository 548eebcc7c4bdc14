"""Steps per second, side by side in one run: ScienceWorld's stock step vs agora's lean step on gold
paths, and TextWorld with and without admissible commands on walkthroughs.

    PYTHONPATH=. .venv/bin/python scripts/science_text_speed.py [--rounds 3]

Stock is ``scienceworld.ScienceWorldEnv.step`` (it lists every valid action-object combination,
the free look and the inventory each call); lean is ``agora/ScienceWorld-v0`` with
``admissible="none"``. Both play the same gold paths on their own JVM, after one warm-up pass
each (the JIT is cold at first), and rounds alternate so machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import tempfile
import time

SCIENCE_TASKS = ("use-thermometer", "chemistry-mix", "find-living-thing", "power-component")
TEXTWORLD_GAMES = (("coin_collector", {"level": 10}), ("cooking", {"recipe": 2, "take": 2, "go": 6, "open": True}))


def science_gold_paths(env) -> dict[str, list[str]]:
    paths = {}
    for name in SCIENCE_TASKS:
        env.reset(seed=0, options={"task": name, "variation": 0})
        paths[name] = env.gold_path()
    return paths


def stock_pass(stock, paths) -> tuple[int, float]:
    steps, seconds = 0, 0.0
    for name, gold in paths.items():
        stock.load(name, 0, "")
        stock.reset()
        start = time.perf_counter()
        for action in gold:
            _, _, done, _ = stock.step(action)
            steps += 1
            if done:
                break
        seconds += time.perf_counter() - start
    return steps, seconds


def agora_pass(env, paths) -> tuple[int, float]:
    steps, seconds = 0, 0.0
    for name, gold in paths.items():
        env.reset(seed=0, options={"task": name, "variation": 0})
        start = time.perf_counter()
        for action in gold:
            _, _, terminated, truncated, _ = env.step(action)
            steps += 1
            if terminated or truncated:
                break
        seconds += time.perf_counter() - start
    return steps, seconds


def textworld_pass(env, n_games: int) -> tuple[int, float]:
    steps, seconds = 0, 0.0
    for index in range(n_games):
        env.reset(seed=0, options={"index": index})
        start = time.perf_counter()
        while True:
            _, _, terminated, truncated, _ = env.step(env.expert_action())
            steps += 1
            if terminated or truncated:
                break
        seconds += time.perf_counter() - start
    return steps, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed passes per variant (after one warm-up)")
    parser.add_argument("--textworld-games", type=int, default=3, help="games per TextWorld challenge")
    args = parser.parse_args()

    from scienceworld import ScienceWorldEnv as StockEnv

    from envs.scienceworld.env import ScienceWorldEnv
    from envs.textworld.env import TextWorldEnv

    lean = ScienceWorldEnv(env_step_limit=10_000)
    stock = StockEnv("", envStepLimit=10_000)
    try:
        paths = science_gold_paths(lean)
        stock_pass(stock, paths), agora_pass(lean, paths)  # warm-up: JIT and class loading
        totals = {"stock": [0, 0.0], "lean": [0, 0.0]}
        for _ in range(args.rounds):
            for label, result in (("stock", stock_pass(stock, paths)), ("lean", agora_pass(lean, paths))):
                totals[label][0] += result[0]
                totals[label][1] += result[1]
    finally:
        lean.close()
        stock.close()
    rate = {k: n / s for k, (n, s) in totals.items()}
    print(f"ScienceWorld gold paths ({', '.join(SCIENCE_TASKS)}; variation 0; {args.rounds} rounds)")
    print(f"  stock scienceworld step     {rate['stock']:7.1f} steps/s  ({totals['stock'][0]} steps)")
    print(f"  agora lean step             {rate['lean']:7.1f} steps/s  ({totals['lean'][0]} steps)")
    print(f"  lean / stock                {rate['lean'] / rate['stock']:7.2f}x")

    with tempfile.TemporaryDirectory() as cache:
        for challenge, settings in TEXTWORLD_GAMES:
            envs_ = {flag: TextWorldEnv(challenge=challenge, settings=settings, n_games=args.textworld_games,
                                        max_steps=200, admissible=flag, cache_dir=cache) for flag in (True, False)}
            try:
                for env in envs_.values():
                    textworld_pass(env, args.textworld_games)  # warm-up; also generates the games once
                tw = {flag: [0, 0.0] for flag in envs_}
                for _ in range(args.rounds):
                    for flag, env in envs_.items():
                        n, s = textworld_pass(env, args.textworld_games)
                        tw[flag][0] += n
                        tw[flag][1] += s
            finally:
                for env in envs_.values():
                    env.close()
            with_adm, without = (tw[f][0] / tw[f][1] for f in (True, False))
            print(f"TextWorld {challenge} {settings} walkthroughs ({args.textworld_games} games, {args.rounds} rounds)")
            print(f"  with admissible commands    {with_adm:7.1f} steps/s")
            print(f"  without                     {without:7.1f} steps/s  ({without / with_adm:.2f}x)")


if __name__ == "__main__":
    main()
