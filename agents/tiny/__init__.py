"""The tiny policy: a small network, trained from scratch, that scores the admissible actions.

Importing this package does not import torch (``TinyAgent`` loads it when first asked for).
"""

from agents.tiny.config import TinyConfig

__all__ = ["TinyAgent", "TinyConfig"]


def __getattr__(name: str):
    if name == "TinyAgent":
        from agents.tiny.agent import TinyAgent

        return TinyAgent
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
