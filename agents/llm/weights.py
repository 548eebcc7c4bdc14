"""Full model weights for a separate rollout engine (vLLM): LoRA deltas folded in, out of place.

``merged_state_dict`` returns the weights under the base model's own checkpoint names with
``W + scale * B @ A`` for every LoRA layer, computed in float32 and cast to the base dtype, without
touching the training model: merging and unmerging in place would round bf16 base weights a
little further each update. ``save_merged`` writes them with the model config into a directory
that ``VLLMBackend.update_weights`` reloads from; an engine on a Ray actor gets the same tensors
through Ray and writes them on its own machine (``write_checkpoint``).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch


def _base_model(model):
    return model.get_base_model() if hasattr(model, "get_base_model") else model


@torch.no_grad()
def merged_state_dict(model) -> dict[str, torch.Tensor]:
    """Plain-checkpoint weights of ``model`` (a transformers model, or a peft LoRA model around one)."""
    from peft.tuners.lora import LoraLayer

    base = _base_model(model)
    state = {
        name.replace(".base_layer.", "."): tensor
        for name, tensor in base.state_dict().items()
        if ".lora_" not in name  # adapter tensors: folded in below
    }
    for name, layer in base.named_modules():
        if not isinstance(layer, LoraLayer):
            continue
        if layer.merged:
            raise RuntimeError(f"{name}: adapter already merged in place; merged_state_dict expects unmerged layers")
        weight = layer.get_base_layer().weight
        merged = weight.float()
        for adapter in layer.active_adapters:
            if layer.use_dora.get(adapter):
                raise NotImplementedError("DoRA adapters are not supported")
            merged = merged + layer.get_delta_weight(adapter).float()
        state[f"{name}.weight"] = merged.to(weight.dtype)
    return state


def merged_checkpoint_tensors(model) -> dict[str, torch.Tensor]:
    """``merged_state_dict(model)`` on the CPU as a checkpoint stores it (a tied output head left out)."""
    state = merged_state_dict(model)
    if getattr(_base_model(model).config, "tie_word_embeddings", False):
        state.pop("lm_head.weight", None)  # the same tensor as the embedding; loaders re-tie it
    return {name: t.detach().to("cpu").contiguous() for name, t in state.items()}


def write_checkpoint(tensors: dict[str, torch.Tensor], config, directory: str | os.PathLike) -> Path:
    """``tensors`` as ``model.safetensors`` (replaced atomically) plus ``config.json`` in ``directory``."""
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / "model.safetensors.tmp"
    save_file(tensors, str(tmp), metadata={"format": "pt"})
    tmp.replace(directory / "model.safetensors")
    config.save_pretrained(directory)
    return directory


def save_merged(model, directory: str | os.PathLike) -> Path:
    """Write ``merged_state_dict(model)`` as ``model.safetensors`` plus ``config.json``."""
    return write_checkpoint(merged_checkpoint_tensors(model), _base_model(model).config, directory)
