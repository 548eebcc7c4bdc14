"""LLM agents: prompt + backend + parser for evaluation, and the trainable Hugging Face model.

    build_llm_agent(name, model=...)   hf | vllm | openai, for `agora eval`
    TrainableLLMAgent(model, lora=...)  hf or vllm rollouts of a trained HF model, for `agora train`

Importing this package does not import torch; the trainable agent loads it when built.
"""

from __future__ import annotations

from agents.llm.agent import LLMAgent, build_llm_agent, decision_prompt

__all__ = ["LLMAgent", "TrainableLLMAgent", "build_llm_agent", "decision_prompt"]


def __getattr__(name: str):
    if name == "TrainableLLMAgent":
        from agents.llm.trainable import TrainableLLMAgent

        return TrainableLLMAgent
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
