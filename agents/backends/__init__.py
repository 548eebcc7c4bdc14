"""Model backends behind the :class:`agents.backends.base.Backend` interface.

    hf      transformers, any causal LM or the embedded SmolLM2 (``HFBackend``)
    vllm    the vLLM offline engine, GPU or CPU (``VLLMBackend``)
    openai  any OpenAI-compatible chat endpoint over HTTP, text only (``OpenAIChatBackend``)

Each backend module is imported only when asked for, so ``import agents`` never pulls in
torch, transformers or vLLM.
"""

from __future__ import annotations

import importlib

BACKENDS = {
    "hf": ("agents.backends.hf", "HFBackend"),
    "vllm": ("agents.backends.vllm_backend", "VLLMBackend"),
    "openai": ("agents.backends.openai_backend", "OpenAIChatBackend"),
}


def make_backend(backend: str, *args, **kwargs):
    """Build the named backend's policy, e.g. ``make_backend("hf", "default")``."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {sorted(BACKENDS)}")
    module, name = BACKENDS[backend]
    return getattr(importlib.import_module(module), name)(*args, **kwargs)
