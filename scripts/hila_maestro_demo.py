"""Train HILA's and Maestro's small policies on CPU and print their tables (seeded: the same numbers
on every machine). Per-episode figures carry 95% intervals (Wilson for success, Student t for means).

    python scripts/hila_maestro_demo.py            # about a minute on one core
"""

from __future__ import annotations

from collections import defaultdict

from envs.hila.env import DEFAULT_EXPERT_ACCURACY, HilaEnv
from envs.hila.solvers import SimulatedSolver
from envs.maestro.env import MaestroEnv
from envs.maestro.registry import ExpertEntry, load_registry
from training import hila, maestro
from training.stats import mean_interval, wilson_interval

FAST = hila.InnerConfig(iterations=1, episodes=600)


def hila_episode_cis(env: HilaEnv, policy: hila.MetaPolicy, episodes: int = 300) -> str:
    by_game = defaultdict(list)
    for row in hila.play(env, policy, "test", range(episodes), rng=None):
        by_game[row["index"]].append(row)
    games = list(by_game.values())
    won = sum(bool(g[-1]["won"]) for g in games)
    deferrals = [sum(r["kind"] == "DEFER" for r in g) for g in games]
    cost = [sum(env.lambda_defer * (r["kind"] == "DEFER") + env.lambda_create * (r["kind"] == "CREATE") for r in g)
            for g in games]
    return (f"success {wilson_interval(won, len(games))}  deferrals/episode {mean_interval(deferrals)}  "
            f"cost/episode {mean_interval(cost)}")


def hila_tables() -> None:
    print("== HILA: dual loop (solver skill, greedy meta-policy on 300 test games; 3 agents x 3 rounds)")
    env = HilaEnv()
    logs = hila.run_dual_loop(env, hila.DualLoopConfig(outer_rounds=2, deploy_episodes=300, eval_episodes=300, inner=FAST))
    print(f"{'round':>5} {'type':8s} {'skill':>5} {'expert':>6} {'round-1 decision':>16} {'defer':>6} {'reward':>7} {'accuracy':>8}")
    for log in logs:
        policy = log["policy"]
        for task_type, row in log["table"].items():
            skill = f"{log['skill'].get(task_type, float('nan')):.2f}" if task_type != "all" else "-"
            expert = f"{DEFAULT_EXPERT_ACCURACY[task_type]:.2f}" if task_type != "all" else "-"
            decision = policy.greedy_kind(task_type, 1) if task_type != "all" else "-"
            print(f"{log['round']:>5} {task_type:8s} {skill:>5} {expert:>6} {decision:>16} {row['defer_rate']:>6.2f} "
                  f"{row['expected_reward']:>7.3f} {row['accuracy']:>8.3f}")
        print(f"      per episode: {hila_episode_cis(_with_skill(env, log['skill']), policy)}")
    print("\n== HILA: defer rate of the greedy policy as lambda_defer rises")
    for lambda_defer in (0.0, 0.15, 0.3, 0.45, 0.8):
        swept = HilaEnv(lambda_defer=lambda_defer)
        rate = hila.evaluate(swept, hila.train_meta_policy(swept, FAST), 300)["all"]["defer_rate"]
        print(f"  lambda_defer={lambda_defer:<5} defer rate {rate:.3f}")
    print("\n== HILA: mean-centred vs std-normalised advantages (solver 0.62, expert 1.00: DEFER is worth 0.70 vs 0.62)")
    biased = HilaEnv(task_types=("math-d3",), rounds=1, solver=SimulatedSolver({"math-d3": 0.62}),
                     expert=SimulatedSolver({"math-d3": 1.0}))
    for std in (False, True):
        policy = hila.train_meta_policy(biased, hila.InnerConfig(iterations=1, episodes=1500, normalise_std=std))
        row = hila.evaluate(biased, policy, 300)["all"]
        print(f"  normalise_std={std!s:5}  learned {policy.greedy_kind('math-d3', 1):6s} expected reward {row['expected_reward']:.3f}")


def _with_skill(env: HilaEnv, skill: dict) -> HilaEnv:
    return HilaEnv(solver=SimulatedSolver(skill), expert=env.expert, lambda_defer=env.lambda_defer)


def maestro_cis(policy: maestro.OrchestratorPolicy, env: MaestroEnv) -> str:
    rows = maestro.play_greedy(policy, env, 300)
    return (f"success {wilson_interval(int(sum(r['success'] for r in rows)), len(rows))}  "
            f"return {mean_interval([r['return'] for r in rows])}  cost {mean_interval([r['cost'] for r in rows])}  "
            f"calls {mean_interval([r['calls'] for r in rows])}")


def maestro_tables() -> None:
    print("\n== Maestro: learned first call vs argmax(accuracy - beta * cost), 300 greedy test episodes")
    for beta in (0.0, 0.3):
        env = MaestroEnv(beta=beta, max_calls=1 if beta == 0 else 4)
        policy = maestro.train_orchestrator(env)
        for task_type in env.source.types:
            best = max(env.entries, key=lambda e: e.accuracy_on(task_type) - beta * e.cost).name
            print(f"  beta={beta} {task_type:8s} best {best:22s} learned {maestro.first_call(policy, env, task_type)}")
        print(f"  beta={beta} {maestro_cis(policy, env)}")
    lite = ExpertEntry("Abacus-Lite", "calculate", "a distilled arithmetic specialist", 0.02, {"math-d2": 0.9, "math-d4": 0.82})
    grown = MaestroEnv(registry=[*load_registry(), lite], beta=0.3)
    print(f"  beta=0.3 with {lite.name} added, no training: {maestro_cis(policy, grown)}")


if __name__ == "__main__":
    hila_tables()
    maestro_tables()
