"""Output folders that never lose work: a folder that already holds a run (or an evaluation's
results) is refused unless the user asks to continue it (``--resume``) or to replace it
(``--overwrite``, which clears the folder first so no old checkpoint, log or event file is
left beside the new ones)."""

from __future__ import annotations

import shutil
from pathlib import Path

RUN_FILES = ("config.yaml", "metrics.jsonl", "checkpoints", "tensorboard")
EVAL_FILES = ("summary.json", "summary.png", "trajectories_*.jsonl")


class FolderInUseError(ValueError):
    """The output folder already holds work that the command would destroy."""


def holds_any(folder: Path, patterns: tuple[str, ...]) -> bool:
    return folder.is_dir() and any(next(folder.glob(p), None) is not None for p in patterns)


def claim(folder: str | Path, overwrite: bool, what: str, patterns: tuple[str, ...], hint: str) -> Path:
    """The folder, ready to write into: refused when it already holds ``what``, cleared when
    ``overwrite``. Call it after every other argument is checked: clearing cannot be undone."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise FolderInUseError(f"{folder} exists and is not a folder")
    if holds_any(folder, patterns):
        if not overwrite:
            raise FolderInUseError(f"{folder} already holds {what}; {hint}")
        shutil.rmtree(folder)
    return folder


def claim_run_folder(folder: str | Path, overwrite: bool) -> Path:
    return claim(
        folder, overwrite, "a training run", RUN_FILES,
        f"continue it with `agora train --resume {folder}`, replace it with --overwrite, "
        "or pick another train.output_dir=...",
    )


def claim_eval_folder(folder: str | Path, overwrite: bool) -> Path:
    return claim(
        folder, overwrite, "evaluation results", EVAL_FILES,
        "replace them with --overwrite or pick another folder with --out",
    )
