"""Where training metrics go: metrics.jsonl (always), TensorBoard, W&B (when installed and asked
for), a progress bar, and at the end a summary table and a PNG learning curve."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from training.config import LogConfig

CURVE_KEYS = ("train/success", "eval/success")


class MetricsLog:
    def __init__(self, out: Path, config: LogConfig):
        self.out = Path(out)
        self.config = config
        self.history: list[dict] = []
        self.jsonl = self.out / "metrics.jsonl"
        self.jsonl.write_text("")  # a fresh run; a resume rewrites it from the checkpoint's history
        self.tb = None
        if config.tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.tb = SummaryWriter(str(self.out / "tensorboard"))
            except ImportError:
                self.note("TensorBoard is not installed (pip install tensorboard); logging to metrics.jsonl only")
        self.wandb = None
        if config.wandb:
            try:
                import wandb

                self.wandb = wandb.init(project=config.wandb_project, dir=str(self.out))
            except ImportError:
                self.note("log.wandb is on but wandb is not installed (pip install wandb); skipping it")

    def progress(self, updates: int, initial: int = 0, seconds: float | None = None):
        """A bar over the planned updates, or over the time budget when the run has one (it then
        stops on time long before its planned updates, and an update count would promise a wrong ETA)."""
        from tqdm import tqdm

        disable = not self.config.progress_bar
        if seconds is not None:
            bar_format = "{l_bar}{bar}| {elapsed}<{remaining}{postfix}"  # a rate in s/s would say nothing
            return tqdm(total=round(seconds), desc="time budget", bar_format=bar_format, disable=disable, file=sys.stderr)
        return tqdm(total=updates, initial=initial, desc="updates", disable=disable, file=sys.stderr)

    def note(self, message: str) -> None:
        print(f"agora: {message}", file=sys.stderr)

    def write(self, metrics: dict, bar=None, elapsed_s: float | None = None) -> None:
        """Log one update's metrics; a time-budget bar moves to ``elapsed_s``, an update bar by one."""
        metrics = strict_json(metrics)
        self.history.append(metrics)
        with open(self.jsonl, "a", encoding="utf-8") as f:
            f.write(json.dumps(metrics, allow_nan=False) + "\n")
        step = metrics["update"]
        if self.tb is not None:
            for key, value in metrics.items():
                if key != "update" and isinstance(value, (int, float)):
                    self.tb.add_scalar(key, value, step)
        if self.wandb is not None:
            self.wandb.log(metrics, step=step)
        if bar is not None:
            shown = {"update": step, "success": f"{metrics['train/success']:.2f}"}
            if "eval/success" in metrics:
                shown["eval"] = f"{metrics['eval/success']:.2f}"
            bar.set_postfix(shown, refresh=False)
            bar.update(1 if elapsed_s is None else min(round(elapsed_s), bar.total) - bar.n)

    def restore(self, history: list[dict]) -> None:
        """After a resume: the log holds exactly the updates the checkpoint had seen."""
        self.history = [strict_json(m) for m in history]  # a checkpoint from before strict logs may hold NaN
        with open(self.jsonl, "w", encoding="utf-8") as f:
            for metrics in self.history:
                f.write(json.dumps(metrics, allow_nan=False) + "\n")

    def finish(self) -> None:
        if self.tb is not None:
            self.tb.close()
        if self.wandb is not None:
            self.wandb.finish()
        if self.history:
            print(summary_table(self.history))
            plot_curve(self.history, self.out / "learning_curve.png")


def strict_json(metrics: dict) -> dict:
    """NaN and infinities as null (None): strict JSON readers reject the literals Python writes."""
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in metrics.items()}


def summary_table(history: list[dict]) -> str:
    rows = [f"{'update':>6}  {'train success':>13}  {'eval success [95% CI]':>24}  {'reward':>7}  {'steps/s':>8}"]
    for m in history:
        if "eval/success" not in m:
            continue
        ci = f"{m['eval/success']:.3f} [{m['eval/success_low']:.3f}, {m['eval/success_high']:.3f}]"
        rows.append(
            f"{m['update']:>6}  {m['train/success']:>13.3f}  {ci:>24}  {m['train/reward']:>7.3f}  {m['perf/steps_per_s']:>8.0f}"
        )
    return "\n".join(rows)


def plot_curve(history: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    updates = [m["update"] for m in history]
    ax.plot(updates, [m["train/success"] for m in history], label="train success (sampled)", alpha=0.7)
    evals = [m for m in history if "eval/success" in m]
    if evals:
        x = [m["update"] for m in evals]
        y = [m["eval/success"] for m in evals]
        low = [m["eval/success"] - m["eval/success_low"] for m in evals]
        high = [m["eval/success_high"] - m["eval/success"] for m in evals]
        ax.errorbar(x, y, yerr=[low, high], marker="o", capsize=3, label="held-out success (95% CI)")
    ax.set_xlabel("update")
    ax.set_ylabel("success rate")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
