"""Multi-turn rollouts in lock-step batches, one StepRecord per agent decision.

Single-agent envs run through :class:`envs.GroupRunner` (N tasks x G copies); multi-agent envs
run N x G PettingZoo ``ParallelEnv`` copies, every live agent of every copy deciding in one batch.
Token ids and log-probs are copied from the agent's generations untouched: no re-tokenization.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import envs
from agents.agent import Agent, Decision, candidate_index
from agents.backends.base import Generation, SamplingConfig
from agents.prompting import DEFAULT_MEMORY_K
from training.guidance import act_with_guidance, expert_action, guided_rows
from training.records import StepRecord


@dataclass
class RolloutConfig:
    group_size: int = 1
    memory_k: int = DEFAULT_MEMORY_K
    max_turns: int = 1000  # a safety cap on top of the env's own step limit
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    # G²RPO-A (training.guidance): the first `guided_members` copies of each group follow the
    # expert for their first `guided_steps` turns (single-agent envs).
    guided_members: int = 0
    guided_steps: int = 0
    # Record the expert's choice at every decision (``info["expert_choice"]``: its candidate index,
    # as a one-token response) for an imitation loss; single-agent envs with an expert.
    label_expert: bool = False


@dataclass
class Task:
    """One task of a batch: a reset seed, optional reset options, and a group id for the learners."""

    seed: int
    options: dict | None = None
    group_id: str = ""


# Env info kept on a step's record besides won and task_type: numbers an env reports per episode
# for evaluation (calls, cost, deferrals); HILA-v0's rewards of every candidate decision of the
# state just left (with record_candidates) and its answered deferral (HILA's outer loop).
RECORDED_INFO = ("episode_metrics", "candidate_rewards", "deferral")


def chosen_action(gen: Generation) -> tuple[str, bool]:
    """The env action an agent's generation stands for, and whether its format was valid."""
    return gen.extra.get("action", gen.text), bool(gen.extra.get("format_valid", True))


@dataclass
class _Steps:
    """Builds the decisions and step records of one rollout call, single- or multi-agent alike."""

    env_id: str
    family: str
    tasks: Sequence[Task]
    config: RolloutConfig
    episode_prefix: str

    def decision(self, task: str, observation: str, admissible, memory: list, turn: int, agent_id: str, env,
                 to_act: bool = True) -> Decision:
        k = self.config.memory_k
        return Decision(
            task=task,
            observation=observation,
            admissible_actions=list(admissible),
            memory=memory[-k:] if k else [],
            turn=turn,
            max_turns=self.config.max_turns,
            family=self.family,
            agent_id=agent_id,
            env=env,
            to_act=to_act,
        )

    def group_id(self, task_index: int) -> str:
        return self.tasks[task_index].group_id or f"{self.episode_prefix}{task_index}"

    def record(
        self, *, task_index: int, copy: int, agent_id: str, turn: int, obs: str, gen: Generation,
        reward: float, finished: bool, info: dict, next_obs: str,
    ) -> StepRecord:
        """The step row of one decision; ``finished``: the env ended the episode for this agent;
        ``next_obs``: what the action led to (kept on the episode's last row, which no later row shows)."""
        action, format_valid = chosen_action(gen)
        done = finished or turn == self.config.max_turns - 1
        extra = {k: v for k, v in gen.extra.items() if k not in ("action", "format_valid")}
        extra["reply"] = gen.text  # the decoded reply beside its token ids, for people reading trajectories
        if done:
            extra["final_obs"] = next_obs
        return StepRecord(
            episode_id=f"{self.episode_prefix}{task_index}.{copy}",
            group_id=self.group_id(task_index),
            agent_id=agent_id,
            turn=turn,
            obs=obs,
            prompt_ids=list(gen.prompt_ids or []),
            response_ids=list(gen.response_ids or []),
            logprobs=[float(x) for x in gen.logprobs or []],
            reward=float(reward),
            done=done,
            action_valid=bool(info.get("action_valid", True)) and format_valid,
            env=self.env_id,
            action=action,
            info={**extra, "won": bool(info.get("won", False)), "task_type": str(info.get("task_type", "all")),
                  **{k: info[k] for k in RECORDED_INFO if k in info}},
        )


def rollout_single(
    env_id: str,
    agent: Agent,
    tasks: Sequence[Task],
    config: RolloutConfig,
    episode_prefix: str = "",
    env_kwargs: dict | None = None,
    on_step: Callable[[int], None] | None = None,
    env_pool=None,
) -> list[StepRecord]:
    """Play every task ``config.group_size`` times in lock step and return the step records.

    ``env_pool``: where the envs come from and go back to after: an :class:`envs.EnvPool` (envs kept
    across calls) or a :class:`training.ray_pool.RayEnvPool` (envs stepped on Ray actors); groups a
    pool reports lost (``runner.lost_tasks``) are removed whole. None: new envs, closed after."""
    steps = _Steps(env_id, envs.spec(env_id).family, tasks, config, episode_prefix)
    if env_pool is not None:
        runner = env_pool.runner(env_id, len(tasks), config.group_size, env_kwargs or {})
    else:
        runner = envs.GroupRunner(env_id, len(tasks), config.group_size, **(env_kwargs or {}))
    reuse = False
    try:
        obs, infos = runner.reset([t.seed for t in tasks], [t.options for t in tasks])
        n = len(runner)
        memories: list[list[tuple[str, str]]] = [[] for _ in range(n)]
        tasks_text = [info["task"] for info in infos]
        records: list[StepRecord] = []
        for turn in range(config.max_turns):
            live = [k for k in range(n) if not runner.done[k]]
            if not live:
                break
            decisions = [
                steps.decision(
                    tasks_text[k], obs[k], infos[k]["admissible_actions"], memories[k], turn, "agent", runner.envs[k].unwrapped
                )
                for k in live
            ]
            guided = guided_rows([k % config.group_size for k in live], turn, config.guided_members, config.guided_steps)
            gens = act_with_guidance(agent, decisions, guided, config.sampling)
            if len(gens) != len(live):
                raise RuntimeError(f"agent returned {len(gens)} generations for {len(live)} decisions")
            if config.label_expert:
                for d, gen in zip(decisions, gens):
                    gen.extra["expert_choice"] = [candidate_index(d, expert_action(d))]
            actions = [""] * n
            for k, gen in zip(live, gens):
                actions[k] = chosen_action(gen)[0]
            out = runner.step(actions)
            for k, gen in zip(live, gens):
                records.append(
                    steps.record(
                        task_index=runner.group_of(k), copy=k % config.group_size, agent_id="agent", turn=turn,
                        obs=obs[k], gen=gen, reward=out.rewards[k], finished=out.terminated[k] or out.truncated[k],
                        info=out.infos[k],
                        next_obs=out.obs[k],
                    )
                )
                memories[k].append((obs[k], actions[k]))
                obs[k], infos[k] = out.obs[k], out.infos[k]
            if on_step is not None:
                on_step(len(live))
        reuse = True
        lost = getattr(runner, "lost_tasks", ())
        return [r for r in records if r.group_id not in {steps.group_id(i) for i in lost}] if lost else records
    finally:
        runner.close(reuse=reuse)  # an env an error interrupted is closed, not lent again


def rollout_multi(
    env_id: str,
    agent: Agent,
    tasks: Sequence[Task],
    config: RolloutConfig,
    episode_prefix: str = "",
    env_kwargs: dict | None = None,
    on_step: Callable[[int], None] | None = None,
) -> list[StepRecord]:
    """Multi-agent rollouts: every live agent of every env copy decides in one batch per turn."""
    steps = _Steps(env_id, envs.spec(env_id).family, tasks, config, episode_prefix)
    copies = [(i, j) for i in range(len(tasks)) for j in range(config.group_size)]
    games = [envs.make(env_id, **(env_kwargs or {})) for _ in copies]
    records: list[StepRecord] = []
    try:
        state = []
        for (i, _), game in zip(copies, games):
            observations, infos = game.reset(seed=tasks[i].seed, options=tasks[i].options)
            state.append((observations, infos, {a: [] for a in game.possible_agents}))
        for turn in range(config.max_turns):
            rows = [(c, a) for c, game in enumerate(games) for a in game.agents]
            if not rows:
                break
            decisions = []
            for c, a in rows:
                observations, infos, memory = state[c]
                info = infos[a]
                decisions.append(
                    steps.decision(
                        info.get("task", ""), observations[a], info.get("admissible_actions", []), memory[a], turn, str(a), games[c],
                        to_act=bool(info.get("to_act", True)),
                    )
                )
            gens = agent.act(decisions, config.sampling)
            for c, game in enumerate(games):
                mine = [(r, a) for r, (cc, a) in enumerate(rows) if cc == c]
                if not mine:
                    continue
                observations, infos, memory = state[c]
                new_obs, rewards, terms, truncs, new_infos = game.step({a: chosen_action(gens[r])[0] for r, a in mine})
                task_index, copy = copies[c]
                for r, a in mine:
                    records.append(
                        steps.record(
                            task_index=task_index, copy=copy, agent_id=str(a), turn=turn, obs=observations[a],
                            gen=gens[r], reward=rewards.get(a, 0.0), finished=terms.get(a, True) or truncs.get(a, False),
                            info=new_infos.get(a, {}),
                            next_obs=str(new_obs.get(a, "")),
                        )
                    )
                    records[-1].info["to_act"] = decisions[r].to_act  # whose turn it was (turn-taking envs)
                    memory[a].append((observations[a], chosen_action(gens[r])[0]))
                state[c] = (new_obs, new_infos, memory)
            if on_step is not None:
                on_step(len(rows))
        return records
    finally:
        for game in games:
            game.close()


def rollout(env_id: str, agent: Agent, tasks: Sequence[Task], config: RolloutConfig, **kwargs) -> list[StepRecord]:
    """Dispatch on the env's kind: one call for single- and multi-agent envs."""
    if envs.spec(env_id).kind == "multi":
        kwargs.pop("env_pool", None)  # multi-agent copies are made fresh each call
        return rollout_multi(env_id, agent, tasks, config, **kwargs)
    return rollout_single(env_id, agent, tasks, config, **kwargs)
