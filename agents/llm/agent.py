"""``LLMAgent``: any :class:`~agents.backends.base.Backend` backend as an agent that acts in text envs.

For each decision it builds the chat prompt (the env family's template, the memory window, the
admissible actions, the ``<think>/<action>`` instructions), samples the whole batch in one
``generate`` call, and parses each reply into the action the rollout sends to the environment.
The backend's ``prompt_ids``/``response_ids``/``logprobs`` pass through untouched (token-in,
token-out); the only thing added is ``extra = {"action", "format_valid"}``, which the rollout
consumes (an unparsable reply still yields an action string, usually ``""``, and the env answers it
with an explanatory observation). Importing this module does not import torch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from agents.agent import Agent, Decision
from agents.parsing import ParserConfig, parse_action
from agents.backends.base import Generation, Backend, SamplingConfig
from agents.prompting import Memory, Message, get_template


def decision_prompt(decision: Decision, parser: ParserConfig, scored: bool = False) -> list[Message]:
    """The chat messages for one decision. ``decision.memory`` holds the last k (observation,
    action) pairs of the episode and ``decision.turn`` the steps taken so far; ``scored``: the
    shorter prompt of a head that scores the admissible actions (PromptTemplate.build)."""
    pairs = list(decision.memory)
    memory = Memory(k=len(pairs))
    # Number the remembered turns by their real step in the episode, not from 1.
    memory.steps_taken = max(0, decision.turn - len(pairs))
    for observation, action in pairs:
        memory.add(observation, action)
    return get_template(decision.family).build(
        task=decision.task,
        observation=decision.observation,
        memory=memory,
        admissible_actions=decision.admissible_actions,
        max_steps=decision.max_turns,
        parser=parser,
        scored=scored,
    )


class LLMAgent(Agent):
    """Prompts a backend and parses its replies. ``sampling`` is used when ``act`` gets none."""

    scores_candidates = False  # True for a head that scores the admissible actions: the shorter prompt

    def __init__(self, policy: Backend, *, require_think: bool = True, sampling: SamplingConfig | None = None):
        if not isinstance(policy, Backend):
            raise TypeError(f"policy must be an agents.backends.base.Backend, got {type(policy).__name__}")
        self.policy = policy
        self.parser = ParserConfig(require_think=require_think)
        self.sampling = sampling or SamplingConfig()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.policy!r}, require_think={self.parser.require_think})"

    def prompts(self, decisions: Sequence[Decision]) -> list[list[Message]]:
        out = []
        for i, d in enumerate(decisions):
            if not isinstance(d, Decision):
                raise TypeError(f"decision {i} must be an agents.agent.Decision, got {type(d).__name__}")
            out.append(decision_prompt(d, self.parser, self.scores_candidates))
        return out

    def act(self, decisions: Sequence[Decision], sampling: SamplingConfig | None = None) -> list[Generation]:
        rows = list(decisions)
        prompts = self.prompts(rows)
        if not prompts:
            return []
        generations = self.policy.generate(prompts, sampling or self.sampling)
        if len(generations) != len(rows):
            raise RuntimeError(f"the backend returned {len(generations)} generations for {len(rows)} prompts")
        out = []
        for d, gen in zip(rows, generations):
            parsed = parse_action(gen.text, d.admissible_actions, self.parser)
            # The backend's own extras (e.g. HTTP usage) would land in every step record: drop them.
            out.append(dataclasses.replace(gen, extra={"action": parsed.action, "format_valid": parsed.valid_format}))
        return out

    def close(self) -> None:
        self.policy.close()


def build_llm_agent(
    name: str,
    model: str | None = None,
    *,
    base_url: str | None = None,
    api_key_env: str | None = None,
    require_think: bool = True,
    **backend_options,
) -> LLMAgent:
    """An LLM agent for evaluation: ``name`` is the backend (``hf``, ``vllm`` or ``openai``).

    ``model``: for ``hf``/``vllm`` a local checkpoint directory, ``None`` for the embedded
    SmolLM2-135M-Instruct; for ``openai`` the model name the server knows (required, as is
    ``base_url``). ``backend_options`` go to the backend's constructor (``device``, ``dtype``,
    ``max_model_len``, ``timeout``, ...).
    """
    from agents.backends import make_backend

    if name in ("hf", "vllm"):
        if base_url is not None:
            raise ValueError(f"--base-url is for the openai policy; the {name} policy runs the model itself")
        policy = make_backend(name, model, **backend_options)
    elif name == "openai":
        if not base_url or not model:
            raise ValueError(
                "the openai policy needs --base-url (e.g. http://localhost:8000/v1) and --model "
                "(the model name the server serves)"
            )
        policy = make_backend(name, base_url, model, api_key_env=api_key_env, **backend_options)
    else:
        raise ValueError(f"unknown LLM backend {name!r}; choose hf, vllm or openai")
    return LLMAgent(policy, require_think=require_think)
