"""Small-LLM recipes on CPU: SmolLM2-135M-Instruct on held-out household tasks, one row per recipe.

Rows (each with the generate head and with the candidate-scoring head; --heads picks):

    zero-shot       the embedded model as it is
    sft             `agora sft` on the expert's demonstrations
    sft+rl          sft, then `agora train --init-from` (GRPO-family: the config's estimator, no guidance)
    sft+g2rpo       sft, then RL with G²RPO-A guided rollouts
    g2rpo           RL with G²RPO-A from the zero-shot model
    sft+rl+imitation  sft, then RL with the expert's choice at every visited state as a second loss
                    (algorithm.imitation_coef=0.5: DAgger's labels beside the policy gradient)

Every row is evaluated greedily on the first --episodes tasks of `eval_in_distribution` (95%
Wilson intervals), as `agora eval --model RUN` plays a run. Wall times are measured here, on
whatever the machine is doing: training (SFT + RL of the row) and evaluation apart. The SFT of a
head is trained once and shared by the rows that start from it (its time counts in each).

    python scripts/small_llm_recipes.py --rows zero-shot sft --heads score_candidates --episodes 20 --demos 12
    python scripts/small_llm_recipes.py --out runs/small-llm --updates 4     # every row: hours on 2 cores

Results go to OUT/results.json (updated after every row) and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ROWS = ("zero-shot", "sft", "sft+rl", "sft+g2rpo", "g2rpo", "sft+rl+imitation")
IMITATION_COEF = 0.5
HEADS = ("score_candidates", "generate")
CONFIG = "smollm2_candidates_cpu"
HEAD_OVERRIDES = {  # the config is the candidate head's; the generate head writes short replies
    "score_candidates": [],
    "generate": ["policy.action_head=generate", "rollout.max_tokens=48"],
}


def cli(args: list[str]) -> float:
    """Run one `agora` command in this process; its wall time in seconds."""
    from training.cli import main

    t0 = time.perf_counter()
    code = main(args)
    if code != 0:
        raise SystemExit(f"agora {' '.join(args)} exited with {code}")
    return time.perf_counter() - t0


def evaluate_row(overrides: list[str], run: Path | None, episodes: int, trajectories: Path) -> tuple[dict, float]:
    """Greedy held-out success of the config's policy, with ``run``'s weights when given; the
    episodes played go to ``trajectories`` (JSONL step records, as `agora eval` writes them)."""
    from training import checkpoint
    from training.agent_factory import build_trainable
    from training.config import eval_env_kwargs, eval_rollout, load_config
    from training.evaluation import evaluate
    from training.records import write_jsonl

    config = load_config(CONFIG, overrides)
    agent = build_trainable(config)
    if run is not None:
        agent.load_state_dict(checkpoint.load(run)[0])
    t0 = time.perf_counter()
    played = []

    def progress(n: int) -> None:
        played.append(n)
        print(f"  eval: {sum(played)}/{episodes} episodes, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)

    try:
        summary, records = evaluate(config.env, agent, "hf", config.train.eval_split, episodes,
                                    rollout_config=eval_rollout(config), env_kwargs=eval_env_kwargs(config), on_episode=progress)
    finally:
        agent.close()
    write_jsonl(trajectories, records)
    s = summary.success
    return {"success": s.mean, "low": s.low, "high": s.high, "episodes": summary.episodes}, time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=list(ROWS))
    parser.add_argument("--heads", nargs="+", choices=HEADS, default=list(HEADS))
    parser.add_argument("--episodes", type=int, default=100, help="held-out evaluation tasks per row")
    parser.add_argument("--demos", type=int, default=50, help="expert episodes for SFT")
    parser.add_argument("--epochs", type=int, default=2, help="SFT passes over the demonstrations")
    parser.add_argument("--lr", type=float, default=5e-4, help="SFT learning rate")
    parser.add_argument("--batch-size", type=int, default=8, help="SFT demonstration steps per optimizer step")
    parser.add_argument("--updates", type=int, default=4, help="RL updates of the RL rows")
    parser.add_argument("--out", default="runs/small-llm-recipes")
    parser.add_argument("--overwrite", action="store_true", help="clear OUT first (else finished rows are kept)")
    args = parser.parse_args()
    for name in ("episodes", "demos", "epochs", "updates", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    out = Path(args.out)
    if args.overwrite and out.exists():
        import shutil

        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    results_file = out / "results.json"
    results = json.loads(results_file.read_text()) if results_file.is_file() else {}
    print(f"threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset (agora uses 1)')}; "
          f"load before: {os.getloadavg()[0]:.1f}", file=sys.stderr)

    for head in args.heads:
        base = HEAD_OVERRIDES[head]
        sft_dir, sft_s = out / f"sft-{head}", None
        sft_file = sft_dir / "sft.json"

        def sft() -> float:
            nonlocal sft_s
            if sft_s is None:
                if sft_file.is_file():  # trained by an earlier call of this script
                    sft_s = json.loads(sft_file.read_text())["wall_s"]
                else:
                    demos = out / f"demos-{head}.jsonl"  # a cache: a rerun after a stop renders nothing again
                    count = [] if demos.is_file() else ["--episodes", str(args.demos)]
                    sft_s = cli(["sft", "--config", CONFIG, *count, "--epochs", str(args.epochs), "--lr", str(args.lr),
                                 "--batch-size", str(args.batch_size), "--out", str(sft_dir), "--demos", str(demos),
                                 "--overwrite", *base])
                    sft_file.write_text(json.dumps({**json.loads(sft_file.read_text()), "wall_s": sft_s}, indent=1))
            return sft_s

        def rl(name: str, guided: bool, init: Path | None, imitation: bool = False) -> float:
            run = out / f"{name}-{head}"
            command = ["train", "--config", CONFIG, "--overwrite", f"train.output_dir={run}", f"train.updates={args.updates}",
                       "train.eval_episodes=1", "log.progress_bar=false", *base]
            if not guided:
                command.append("guidance.enabled=false")
            if imitation:
                command.append(f"algorithm.imitation_coef={IMITATION_COEF}")
            if init is not None:
                command += ["--init-from", str(init)]
            return cli(command)

        for row in args.rows:
            key = f"{row} / {head}"
            if key in results:
                continue
            if row == "zero-shot":
                train_s, weights = 0.0, None
            elif row == "sft":
                train_s, weights = sft(), sft_dir
            elif row == "g2rpo":
                train_s, weights = rl("g2rpo", True, None), out / f"g2rpo-{head}"
            elif row == "sft+rl+imitation":
                if head != "score_candidates":
                    continue  # the expert's choice is a candidate: the generate head has no label to fit
                train_s = sft() + rl(row, False, sft_dir, imitation=True)
                weights = out / f"{row}-{head}"
            else:
                guided = row == "sft+g2rpo"
                train_s = sft() + rl(row, guided, sft_dir)
                weights = out / f"{row}-{head}"
            score, eval_s = evaluate_row(base, weights, args.episodes, out / f"eval-{row}-{head}.jsonl")
            results[key] = {**score, "train_s": round(train_s), "eval_s": round(eval_s), "load": round(os.getloadavg()[0], 1),
                            "demos": args.demos if "sft" in row else None, "updates": args.updates if "rl" in row or "g2rpo" in row else None}
            # Rows another call of this script finished meanwhile (same OUT) are kept.
            results = {**(json.loads(results_file.read_text()) if results_file.is_file() else {}), key: results[key]}
            results_file.write_text(json.dumps(results, indent=1))
            print(f"{key}: {score['success']:.2f} [{score['low']:.2f}, {score['high']:.2f}]", file=sys.stderr)

    print(f"SmolLM2-135M-Instruct, agora/Household-v0 eval_in_distribution, greedy (95% Wilson CI)")
    print(f"{'recipe / head':<30} {'eps':>4}  {'success':<20} {'train s':>8} {'eval s':>7}  load")
    for key, r in results.items():
        print(f"{key:<30} {r['episodes']:>4}  {r['success']:.2f} [{r['low']:.2f}, {r['high']:.2f}]     "
              f"{r['train_s']:>8} {r['eval_s']:>7}  {r['load']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
