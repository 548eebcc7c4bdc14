"""Build the chat prompt for one agent decision: task, memory window, observation, actions, format.

Each step is prompted on its own (as in verl-agent), not as one growing conversation: the prompt
holds the task, the turn counter, the last ``k`` observation/action pairs from a per-episode
:class:`Memory`, the current observation, the admissible actions (when the environment has a
fixed list) and the ``<think>/<action>`` instructions that :mod:`agents.parsing` checks.

Templates differ per environment family only in wording; the layout is shared. Look one up with
:func:`template_for_env` (by ``envs.spec(id).family``) or :func:`get_template`; unknown families
fall back to the generic template. The same inputs always give the same prompt, byte for byte.
Lengths are bounded in characters (about four per token), keeping the head and tail of long text.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from agents.parsing import ACTION, THINK, ParserConfig

DEFAULT_MEMORY_K = 3
Message = dict[str, str]


def truncate_middle(text: str, max_chars: int) -> str:
    """``text`` itself if short enough, else its first and last ``max_chars // 2`` characters
    around a note of how much was cut: the start sets the scene, the end holds the news."""
    if len(text) <= max_chars:
        return text
    head = max_chars // 2
    tail = max_chars - head
    return f"{text[:head]}\n[... {len(text) - max_chars} characters omitted ...]\n{text[len(text) - tail:]}"


@dataclass(frozen=True)
class Turn:
    step: int  # 1-based step number within the episode
    observation: str  # what the agent saw
    action: str  # what it did (the parsed action sent to the environment)


class Memory:
    """The last ``k`` turns of one episode, and how many steps it has taken in all."""

    def __init__(self, k: int = DEFAULT_MEMORY_K):
        if not isinstance(k, int) or isinstance(k, bool) or k < 0:
            raise ValueError(f"memory size k must be an int >= 0, got {k!r}")
        self.k = k
        self._turns: deque[Turn] = deque(maxlen=k)
        self.steps_taken = 0

    def add(self, observation: str, action: str) -> None:
        """Record the observation the agent acted on and the action it took."""
        if not isinstance(observation, str) or not isinstance(action, str):
            raise TypeError("observation and action must be str")
        self.steps_taken += 1
        self._turns.append(Turn(self.steps_taken, observation, action))

    def window(self) -> list[Turn]:
        """The remembered turns, oldest first."""
        return list(self._turns)

    def clear(self) -> None:
        self._turns.clear()
        self.steps_taken = 0

    def __len__(self) -> int:
        return len(self._turns)


def format_instructions(parser: ParserConfig) -> str:
    """How to answer, in the words the parser checks."""
    think, action = f"<{THINK}>", f"<{ACTION}>"
    if parser.require_think:
        shape = (
            f"First reason step by step inside {think} </{THINK}> tags. "
            f"Then give your action inside {action} </{ACTION}> tags:\n"
            f"{think}your reasoning</{THINK}>\n{action}your action</{ACTION}>\n"
        )
    else:
        shape = (
            f"Give your action inside {action} </{ACTION}> tags; you may reason first inside "
            f"{think} </{THINK}> tags:\n{action}your action</{ACTION}>\n"
        )
    return (
        shape + f"Write exactly one {action} block, holding only the action itself "
        f"(at most {parser.max_action_chars} characters)."
    )


SCORED_INSTRUCTIONS = f"Give your next action inside <{ACTION}> </{ACTION}> tags."


@dataclass(frozen=True)
class PromptTemplate:
    family: str
    role: str  # who the agent is and what the world is like; opens the system message
    action_hint: str = "Choose exactly one of the admissible actions and write it exactly as listed."
    free_form_hint: str = "There is no fixed list of actions: write the command you want to carry out."
    max_task_chars: int = 2_000
    max_observation_chars: int = 4_000
    max_history_observation_chars: int = 600
    max_history_action_chars: int = 300
    max_listed_actions: int = 200

    def build(
        self,
        *,
        task: str,
        observation: str,
        memory: Memory,
        admissible_actions: Sequence[str] = (),
        max_steps: int | None = None,
        parser: ParserConfig = ParserConfig(),
        scored: bool = False,
    ) -> list[Message]:
        """The chat messages (system, user) for the agent's next decision. ``scored``: for a head
        that scores every admissible action as a reply (agents.llm.candidate_head), so the prompt
        neither lists the actions nor asks for reasoning; it is 40% shorter on household tasks."""
        for name, value in (("task", task), ("observation", observation)):
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a str, got {type(value).__name__}")
        instructions = SCORED_INSTRUCTIONS if scored else format_instructions(parser)
        system = f"{self.role}\n\n{instructions}"
        step = memory.steps_taken + 1
        counter = f"This is step {step} of {max_steps}." if max_steps else f"This is step {step}."
        sections = [f"Your task: {truncate_middle(task, self.max_task_chars)}", counter]
        if len(memory):
            sections.append(self._history(memory))
        sections.append(f"Current observation:\n{truncate_middle(observation, self.max_observation_chars)}")
        if scored:
            sections.append("Now choose your next action.")
        else:
            sections.append(self._actions(list(admissible_actions)))
            sections.append("Now reason about the situation and choose your next action.")
        return [{"role": "system", "content": system}, {"role": "user", "content": "\n\n".join(sections)}]

    def _history(self, memory: Memory) -> str:
        turns = memory.window()
        lines = [f"Your last {len(turns)} of {memory.steps_taken} steps so far:"]
        for turn in turns:
            obs = truncate_middle(turn.observation, self.max_history_observation_chars)
            action = truncate_middle(turn.action, self.max_history_action_chars) or "(no valid action)"
            lines.append(f"[Step {turn.step}] Observation: {obs}\n[Step {turn.step}] Your action: {action}")
        return "\n".join(lines)

    def _actions(self, actions: list[str]) -> str:
        if not actions:
            return self.free_form_hint
        shown = actions[: self.max_listed_actions]
        lines = ["Admissible actions:"] + [f"- {a}" for a in shown]
        if len(actions) > len(shown):
            lines.append(f"- ... and {len(actions) - len(shown)} more")
        lines.append(self.action_hint)
        return "\n".join(lines)


DEFAULT_TEMPLATE = PromptTemplate(
    family="",
    role="You are an agent acting in a text-based environment. Each turn you read an observation "
    "and take one action, working towards your task.",
)

_TEMPLATES: dict[str, PromptTemplate] = {}


def register_template(template: PromptTemplate) -> None:
    """Use ``template`` for every environment of ``template.family`` (replacing any earlier one)."""
    if not template.family:
        raise ValueError("a registered template needs a non-empty family")
    _TEMPLATES[template.family] = template


def get_template(family: str) -> PromptTemplate:
    """The template for ``family``, or the generic one."""
    return _TEMPLATES.get(family, DEFAULT_TEMPLATE)


def template_for_env(env_id: str) -> PromptTemplate:
    """The template for a registered environment's family."""
    from envs.registry import spec  # here, not at the top: the registry loads every env plugin

    return get_template(spec(env_id).family)


register_template(
    PromptTemplate(
        family="household",
        role="You are an expert agent in a text-based household. You move between rooms and "
        "receptacles, open and close them, take and put objects, and heat, cool, clean or use "
        "them to complete a household task.",
    )
)
register_template(
    PromptTemplate(
        family="inventory",
        role="You are an expert agent managing inventory in a text-based simulation. Each turn "
        "you read the current stock levels and events, then take one action towards your task.",
    )
)
