"""``Team``: one agent per role of a multi-agent env, as one :class:`Agent` the rollout talks to.

The rollout hands the team every live agent's decision; the team routes each to its role's
member (``decision.agent_id``), with the role's prompt in place of the env's instructions when
the config gives one. An idle decision (``decision.to_act`` False: in a turn-taking env it is
another role's turn, see envs/turns.py) is answered ``wait`` by the team itself: no model runs,
no tokens are recorded, and the row is marked ``idle`` so the team trainer leaves it out.

:func:`build_team` builds the members a :class:`~agents.team_config.TeamConfig` describes and
the learners that train them (one per trained model or per-role adapter).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from agents.agent import Agent, Decision, TrainableAgent
from agents.backends.base import Generation, SamplingConfig
from agents.team_config import LearnerOptim, TeamConfig

WAIT = "wait"  # == envs.turns.WAIT (agents does not import the turn-taking module)


@dataclass
class Learner:
    """One trained model or adapter: the roles whose rows train it and its optimiser settings."""

    name: str
    agent: TrainableAgent
    roles: list[str]
    optim: LearnerOptim


class Team(Agent):
    def __init__(self, members: dict[str, Agent], prompts: dict[str, str | None] | None = None, bases: Sequence = ()):
        """``bases``: shared bases (``RoleAdapters``) the members are views of, closed with the team."""
        if not members:
            raise ValueError("a team needs at least one role")
        self.members = dict(members)
        self.prompts = dict(prompts or {})
        self.bases = list(bases)

    def __repr__(self) -> str:
        return f"Team({', '.join(f'{r}={type(a).__name__}' for r, a in self.members.items())})"

    def act(self, decisions: Sequence[Decision], sampling: SamplingConfig | None = None) -> list[Generation]:
        rows = list(decisions)
        out: list[Generation | None] = [None] * len(rows)
        by_role: dict[str, list[int]] = {}
        for i, d in enumerate(rows):
            if d.agent_id not in self.members:
                raise ValueError(f"the env's agent {d.agent_id!r} has no role in this team; roles: {sorted(self.members)}")
            if not d.to_act:
                out[i] = Generation(WAIT, [], [], [], "stop", extra={"action": WAIT, "format_valid": True, "idle": True})
            else:
                by_role.setdefault(d.agent_id, []).append(i)
        for role, index in by_role.items():
            prompt = self.prompts.get(role)
            asked = [dataclasses.replace(rows[i], task=prompt) if prompt else rows[i] for i in index]
            gens = self.members[role].act(asked, sampling)
            if len(gens) != len(index):
                raise RuntimeError(f"role {role!r} returned {len(gens)} generations for {len(index)} decisions")
            for i, gen in zip(index, gens):
                out[i] = gen
        return out

    def train_mode(self, training: bool) -> None:
        for agent in {id(a): a for a in self.members.values()}.values():
            if isinstance(agent, TrainableAgent):
                agent.train_mode(training)

    def close(self) -> None:
        closed = set()
        for agent in self.members.values():
            if id(agent) not in closed:
                closed.add(id(agent))
                agent.close()
        for base in self.bases:
            base.close()


def build_team(config: TeamConfig, *, seed: int = 0, **llm_options) -> tuple[Team, list[Learner]]:
    """The team and its learners. ``llm_options`` go to every hf model (sampling, device, ...)."""
    members: dict[str, Agent] = {}
    shared: dict[str, Agent] = {}
    bases = []
    for k, (name, model) in enumerate(config.models.items()):
        roles = [r for r, spec in config.roles.items() if spec.model == name]
        model_seed = seed + 1000 * k
        if model.adapters == "per_role":
            from agents.llm.role_adapters import RoleAdapters

            base = RoleAdapters(roles, lora=model.lora.model_dump(), seed=model_seed, model=model.model,
                                require_think=model.require_think, action_head=model.action_head, **llm_options)
            bases.append(base)
            members.update({role: base.role(role) for role in roles})
            continue
        shared[name] = _one_model(model, model_seed, llm_options)
        members.update(dict.fromkeys(roles, shared[name]))
    for role, spec in config.roles.items():
        if spec.model == "expert":
            from agents.scripted import ExpertAgent

            members[role] = ExpertAgent()
    team = Team(members, {r: s.prompt for r, s in config.roles.items()}, bases)
    learners = []
    for name, (model_name, roles, optim) in config.learners().items():
        agent = members[roles[0]]
        if not isinstance(agent, TrainableAgent):
            raise TypeError(f"model {model_name!r} cannot be trained")
        learners.append(Learner(name, agent, roles, optim))
    return team, learners


def _one_model(model, seed: int, llm_options: dict) -> Agent:
    if model.backend == "tiny":
        from agents.tiny.agent import TinyAgent

        return TinyAgent(model.tiny, seed=seed)
    if model.backend == "arithmetic":
        from agents.tiny.arithmetic import ArithmeticAgent

        return ArithmeticAgent(seed=seed)
    from agents.llm.trainable import TrainableLLMAgent

    return TrainableLLMAgent(model.model, lora=model.lora, require_think=model.require_think,
                             action_head=model.action_head, seed=seed, **llm_options)
