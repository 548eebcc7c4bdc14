"""Checkpoints: model tensors in safetensors, trainer state in a torch file, written atomically.

Layout: ``<run>/checkpoints/update_000010/{model.safetensors, model_meta.json, reference.safetensors,
trainer.pt, history.json}`` and ``<run>/checkpoints/latest`` naming the newest complete one. A
checkpoint is written into a temporary folder and renamed into place, so a run killed while
saving leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file


def rng_state() -> dict:
    np_state = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "numpy": [np_state[0], np_state[1].tolist(), *np_state[2:]],
        "python": random.getstate(),
    }


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    kind, keys, *rest = state["numpy"]
    np.random.set_state((kind, np.array(keys, dtype=np.uint32), *rest))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))


def _flatten(state: dict[str, Any], prefix: str = "") -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Nested state -> (``"a/b"``-keyed tensors for safetensors, the other leaves for JSON)."""
    tensors, meta = {}, {}
    for key, value in state.items():
        path = f"{prefix}{key}"
        if isinstance(value, torch.Tensor):
            tensors[path] = value.detach().cpu().contiguous()
        elif isinstance(value, dict) and value:
            t, m = _flatten(value, f"{path}/")
            tensors.update(t)
            meta.update(m)
        else:
            meta[path] = value
    return tensors, meta


def _unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for path, value in flat.items():
        node = state
        *parents, leaf = path.split("/")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return state


def save(
    run_dir: Path, update: int, model: dict, trainer: dict, reference: dict | None, history: list[dict]
) -> Path:
    root = Path(run_dir) / "checkpoints"
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"update_{update:06d}"
    tmp = root / f".tmp_update_{update:06d}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    tensors, meta = _flatten(model)
    save_file(tensors, tmp / "model.safetensors")
    (tmp / "model_meta.json").write_text(json.dumps(meta))
    if reference is not None:
        save_file(_flatten(reference)[0], tmp / "reference.safetensors")
    torch.save(trainer, tmp / "trainer.pt")
    (tmp / "history.json").write_text(json.dumps(history))
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    latest_tmp = root / ".latest.tmp"
    latest_tmp.write_text(final.name)
    os.replace(latest_tmp, root / "latest")
    return final


def find(directory: str | Path) -> Path:
    """A checkpoint folder itself, or the newest complete one under a run folder."""
    path = Path(directory)
    if (path / "trainer.pt").is_file():
        return path
    latest = path / "checkpoints" / "latest"
    if latest.is_file():
        return path / "checkpoints" / latest.read_text().strip()
    raise FileNotFoundError(f"no checkpoint in {path} (expected {latest} or a folder with trainer.pt)")


def saved_update(directory: str | Path) -> int:
    """The number of updates the newest checkpoint holds, read without loading its tensors."""
    history = json.loads((find(directory) / "history.json").read_text())
    return int(history[-1]["update"]) if history else 0


def load(directory: str | Path) -> tuple[dict, dict, dict | None, list[dict]]:
    path = find(directory)
    meta = json.loads((path / "model_meta.json").read_text())
    model = _unflatten({**load_file(path / "model.safetensors"), **meta})
    reference = None
    if (path / "reference.safetensors").is_file():  # same architecture: it shares the model's metadata
        reference = _unflatten({**load_file(path / "reference.safetensors"), **meta})
    trainer = torch.load(path / "trainer.pt", weights_only=False)  # our own file: optimizer and RNG states
    history = json.loads((path / "history.json").read_text())
    return model, trainer, reference, history
