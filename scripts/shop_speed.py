"""Shop env speed: catalogue and index build time and memory, search latency and steps per second.

    python scripts/shop_speed.py                  # 1k and 100k products
    python scripts/shop_speed.py --sizes 1000 10000 --episodes 100

Per size: the catalogue's build time (generation; then the BM25 index), the process's resident
memory growth while building both, the time to load it back from the disk cache (from 10k
products; in a temporary folder, so every run builds cold), the latency of one search (the goals' own instructions as
queries, each once), and env steps per second for the scripted expert (about 5 steps an episode, one
search) and for a random policy over the listed actions (15 steps, searches about one step in
five). Everything runs in this one process, one size after the other.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time

import bm25s  # noqa: F401 - imported before any timing: it pulls in numba where installed (~2 s)

from envs.shop import cache
from envs.shop.catalogue import generate_catalogue
from envs.shop.env import ShopEnv
from envs.shop.queries import query_candidates
from envs.shop.search import SearchIndex


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def play(env: ShopEnv, episodes: int, policy: str) -> tuple[int, float]:
    SearchIndex.search.cache_clear()  # each policy starts with no query answered from memory
    rng, steps = random.Random(0), 0
    goals = len(env.catalogue.goals["test"])
    start = time.perf_counter()
    for i in range(episodes):
        _, info = env.reset(options={"split": "test", "index": i % goals})
        while True:
            action = env.expert_action() if policy == "expert" else rng.choice(info["admissible_actions"])
            _, _, terminated, truncated, info = env.step(action)
            steps += 1
            if terminated or truncated:
                break
    return steps, time.perf_counter() - start


def measure(size: int, episodes: int, queries: int) -> dict:
    before = rss_mib()
    t0 = time.perf_counter()
    catalogue = generate_catalogue(size)
    t1 = time.perf_counter()
    index = catalogue.search
    t2 = time.perf_counter()
    memory = rss_mib() - before
    load_s = float("nan")
    path = cache.cache_path(size, 0)
    if path is not None:
        cache.save(path, catalogue)
        t = time.perf_counter()
        assert cache.load(path).products == catalogue.products
        load_s = time.perf_counter() - t
    goals = catalogue.goals["train"][:queries]
    latencies = []
    for g in goals:
        query = query_candidates(g.instruction)[0]
        t = time.perf_counter()
        index.search(query)
        latencies.append(time.perf_counter() - t)
    env = ShopEnv(num_products=size)  # loads the cache just written (a fresh build for 1k)
    expert_steps, expert_s = play(env, episodes, "expert")
    random_steps, random_s = play(env, episodes, "random")
    return {
        "size": size,
        "generate_s": t1 - t0,
        "index_s": t2 - t1,
        "load_s": load_s,
        "memory_mib": memory,
        "search_ms_mean": 1e3 * statistics.fmean(latencies),
        "search_ms_p95": 1e3 * sorted(latencies)[int(0.95 * (len(latencies) - 1))],
        "expert_steps_s": expert_steps / expert_s,
        "random_steps_s": random_steps / random_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--episodes", type=int, default=200, help="episodes per policy and size")
    parser.add_argument("--queries", type=int, default=500, help="searches timed per size")
    args = parser.parse_args()
    if any(s < 3 for s in args.sizes) or args.episodes < 1 or args.queries < 1:
        parser.error("sizes must be >= 3, episodes and queries >= 1")
    with tempfile.TemporaryDirectory(prefix="agora-shop-speed-") as tmp:  # removed at the end
        os.environ["AGORA_CACHE"] = tmp
        header = ("products", "generate s", "index s", "cached load s", "memory MiB", "search ms", "p95 ms", "expert steps/s", "random steps/s")
        print(" | ".join(header))
        for size in args.sizes:
            r = measure(size, args.episodes, args.queries)
            print(
                f"{r['size']:>8} | {r['generate_s']:10.2f} | {r['index_s']:7.2f} | {r['load_s']:13.2f} | {r['memory_mib']:10.0f} | "
                f"{r['search_ms_mean']:9.2f} | {r['search_ms_p95']:6.2f} | {r['expert_steps_s']:14.0f} | {r['random_steps_s']:14.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
