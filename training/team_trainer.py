"""Training a team: grouped multi-agent rollouts -> advantages -> one PPO-clip update per learner.

A config with a ``team`` section (:mod:`agents.team_config`) trains with :class:`TeamTrainer`
(``agora train --config TEAM_CONFIG``). Each update:

1. plays ``rollout.tasks_per_batch`` tasks x ``rollout.group_size`` copies with the whole team;
2. keeps the acting rows (:func:`acting_rows`: a turn-taking env's idle ``wait`` rows are dropped,
   their rewards credited to that agent's previous acting row, so a role still receives the team
   reward that arrived while another role had the turn);
3. computes advantages with ``algorithm.estimator`` over every acting row: ``grpo`` with
   ``algorithm.group_stats: trajectory`` (global trajectory-level: every role's trajectories of a
   task group pooled), ``grpo`` with ``group_stats: step`` (global step-level), or ``drmas``
   (agent-wise: per task group and role);
4. updates every learner (a trained model, or one role's LoRA adapter) on its roles' rows only,
   with its own AdamW (lr), PPO clip, gradient clip and micro-batch size.

Per role it logs calls, invalid rate, reward, E[A^2], loss and gradient norm (the norm of the
gradient that role's rows contribute, before clipping). The loop around it (evaluation, time
budget, signals, checkpoints) is :class:`training.trainer.Trainer`'s.
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

import envs
from agents.team import Learner, Team, build_team
from training import checkpoint as ckpt
from training.config import TrainConfig, dump_config
from training.evaluation import EvalSummary, evaluate
from training.losses import LOSSES, LossBatch
from training.metrics_log import MetricsLog
from training.outcomes import episode_outcomes
from training.records import StepRecord
from training.team_stats import role_stats
from training.trainer import Trainer, compute_advantages, derived_seed, sampler_scores


def acting_rows(records: list[StepRecord]) -> list[StepRecord]:
    """The rows where the agent had the turn. An idle row's reward (and its ``done``) moves to the
    same agent's previous acting row in the episode, or its next one when none came before; an
    agent that never acted leaves no rows."""
    by_trajectory: dict[tuple, list[StepRecord]] = defaultdict(list)
    for r in records:
        by_trajectory[r.trajectory_key].append(r)
    kept: dict[int, StepRecord] = {}
    for rows in by_trajectory.values():
        rows = sorted(rows, key=lambda r: r.turn)
        acting = [i for i, r in enumerate(rows) if r.info.get("to_act", True)]
        if not acting:
            continue
        merged = {i: dataclasses.replace(rows[i], info=dict(rows[i].info)) for i in acting}
        for i, r in enumerate(rows):
            if i in merged:
                continue
            target = max((j for j in acting if j < i), default=acting[0])
            merged[target].reward += r.reward
            merged[target].done = merged[target].done or r.done
            if r.done and "final_obs" in r.info:
                merged[target].info["final_obs"] = r.info["final_obs"]
        for i, row in merged.items():
            kept[id(rows[i])] = row
    return [kept[id(r)] for r in records if id(r) in kept]


def env_orchestration(env) -> str | None:
    """The turn order a multi-agent env plays: its declared ``orchestration``; an env without
    turn-taking (every agent acts every step) plays ``parallel``."""
    from envs.turns import TurnTakingEnv

    declared = getattr(env, "orchestration", None)
    return declared or (None if isinstance(env, TurnTakingEnv) else "parallel")


def team_env_kwargs(config: TrainConfig) -> dict:
    """The env settings a team plays: ``env_kwargs`` with the orchestration's ``max_loops``; checks
    that the env is multi-agent, that the team has exactly its roles and that it plays the declared order."""
    team = config.team
    spec = envs.spec(config.env)
    if spec.kind != "multi":
        raise ValueError(f"a team plays a multi-agent env; {spec.id} is single-agent")
    kwargs = dict(config.env_kwargs)
    loops = team.orchestration.max_loops
    if loops is not None:
        if kwargs.get("max_loops", loops) != loops:
            raise ValueError(f"env_kwargs.max_loops={kwargs['max_loops']} and team.orchestration.max_loops={loops} "
                             "disagree; give it once")
        kwargs["max_loops"] = loops
    env = envs.make(config.env, **kwargs)
    try:
        agents, order = set(env.possible_agents), env_orchestration(env.unwrapped if hasattr(env, "unwrapped") else env)
    finally:
        env.close()
    if set(team.roles) != agents:
        raise ValueError(f"team.roles {sorted(team.roles)} must be exactly {spec.id}'s agents {sorted(agents)}")
    if order != team.orchestration.kind:
        raise ValueError(f"team.orchestration.kind={team.orchestration.kind!r}, but {spec.id} plays {order!r} turns")
    return kwargs


def llm_options(config: TrainConfig) -> dict:
    """What every hf model of a team samples and trains with: the rollout and train sections'."""
    r, t = config.rollout, config.train
    return {"temperature": r.temperature, "top_p": r.top_p, "max_tokens": r.max_tokens, "device": t.device,
            "bf16": t.bf16, "gradient_checkpointing": t.gradient_checkpointing}


def build_config_team(config: TrainConfig) -> tuple[Team, list[Learner]]:
    uses_llm = any(m.backend == "hf" for m in config.team.models.values())
    return build_team(config.team, seed=config.train.seed, **(llm_options(config) if uses_llm else {}))


class TeamTrainer(Trainer):
    def __init__(self, config: TrainConfig, output_dir: str | Path | None = None):
        if config.team is None:
            raise ValueError("TeamTrainer needs a config with a team section")
        config = config.model_copy(update={"env_kwargs": team_env_kwargs(config)})
        self.config = config
        self.out = Path(output_dir or config.train.output_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(config.train.seed)
        self.agent, self.learners = build_config_team(config)
        if not self.learners:
            raise ValueError("the team has no trained model (every model is trainable: false, or an expert)")
        self.optimizers = {
            l.name: torch.optim.AdamW(l.agent.trainable_parameters(), lr=l.optim.lr) for l in self.learners
        }
        self.losses = {l.name: self._loss_config(l) for l in self.learners}
        self.loss_spec = LOSSES.get(config.algorithm.loss)
        self.reference = self.epo = self.guidance = None  # a team trains without KL, EPO or guidance
        self.env_pool = None  # multi-agent copies are made fresh each rollout
        self.update = 0
        self.stopped_by = None
        self.log = MetricsLog(self.out, config.log)
        (self.out / "config.yaml").write_text(dump_config(config))

    def _loss_config(self, learner: Learner) -> TrainConfig:
        """The run's loss settings with this learner's clip range."""
        a = self.config.algorithm
        return self.config.model_copy(update={"algorithm": a.model_copy(update={"clip": learner.optim.clip})})

    # --- one update --------------------------------------------------------------------
    def train_one(self) -> dict:
        k = self.update
        t0 = time.perf_counter()
        records = self.collect(k)
        t_rollout = time.perf_counter() - t0
        rows = acting_rows(records)
        advantages = compute_advantages(rows, self.config)
        metrics = {"update": k + 1}
        for learner in self.learners:
            metrics.update(self.optimize_learner(learner, rows, advantages, k))
        self.update += 1
        outcomes = episode_outcomes(records)
        metrics.update({
            "train/success": float(np.mean([o.won for o in outcomes])),
            "train/reward": float(np.mean([o.reward for o in outcomes])),
            "train/invalid_rate": float(np.mean([not r.action_valid for r in rows])),
            "adv/mean": float(advantages.mean()),
            "adv/std": float(advantages.std()),
            "perf/steps_per_s": len(records) / max(t_rollout, 1e-9),
            "perf/rollout_s": t_rollout,
            "perf/update_s": time.perf_counter() - t0 - t_rollout,
        })
        stats = role_stats(records)
        for role in self.config.team.roles:  # every role, also one that never had the turn this update
            mine = [i for i, r in enumerate(rows) if r.agent_id == role]
            metrics[f"role/{role}/calls"] = stats[role].calls if role in stats else 0
            metrics[f"role/{role}/invalid_rate"] = stats[role].invalid.mean if role in stats else 0.0
            metrics[f"role/{role}/reward"] = float(np.mean([rows[i].reward for i in mine])) if mine else 0.0
            metrics[f"role/{role}/adv_sq"] = float(np.mean(advantages[mine] ** 2)) if mine else 0.0
        return metrics

    def optimize_learner(self, learner: Learner, records: list[StepRecord], advantages: np.ndarray, update: int) -> dict:
        """PPO-clip epochs on ``learner``'s roles' rows, with its own optimiser; per-role losses and gradient norms."""
        a = self.config.algorithm
        index = [i for i, r in enumerate(records) if r.agent_id in learner.roles and r.response_ids]
        if a.skip_zero_advantage:
            index = [i for i in index if advantages[i] != 0]
        if not index:
            return {f"learner/{learner.name}/rows": 0}
        rows = [records[i] for i in index]
        prompts, responses, extras = [r.prompt_ids for r in rows], [r.response_ids for r in rows], [r.info for r in rows]
        adv = torch.tensor(advantages[index], dtype=torch.float32)
        agent, optimizer = learner.agent, self.optimizers[learner.name]
        agent.train_mode(False)
        old = sampler_scores(rows)
        if a.recompute_old_logprobs or old is None:
            with torch.no_grad():
                old = agent.token_scores(prompts, responses, extras)
        agent.train_mode(True)
        params = [p for g in optimizer.param_groups for p in g["params"]]
        gen = torch.Generator().manual_seed(derived_seed(self.config.train.seed, update, 2))
        sums: dict[str, float] = defaultdict(float)
        steps = 0
        for _ in range(a.ppo_epochs):
            order = torch.randperm(len(rows), generator=gen)
            for start in range(0, len(rows), a.minibatch_size):
                batch = order[start : start + a.minibatch_size].tolist()
                optimizer.zero_grad(set_to_none=True)
                tokens = float(old.mask[batch].sum())
                for role in learner.roles:
                    mine = [i for i in batch if rows[i].agent_id == role]
                    if not mine:
                        continue
                    before = [p.grad.clone() if p.grad is not None else None for p in params]
                    for s in range(0, len(mine), learner.optim.micro_batch):
                        micro = mine[s : s + learner.optim.micro_batch]
                        terms = self._terms(learner, micro, prompts, responses, extras, adv, old)
                        weight = float(old.mask[micro].sum()) / tokens  # the minibatch's token mean, in parts
                        (terms.loss * weight).backward()
                        sums[f"role/{role}/loss"] += float(terms.loss.detach()) * weight
                        sums[f"role/{role}/clip_fraction"] += float(terms.clip_fraction) * weight
                    sums[f"role/{role}/grad_norm"] += _delta_norm(params, before)
                norm = torch.nn.utils.clip_grad_norm_(params, learner.optim.max_grad_norm)
                sums[f"learner/{learner.name}/grad_norm"] += float(norm)
                optimizer.step()
                steps += 1
        agent.train_mode(False)
        agent.after_update()
        out = {k: v / steps for k, v in sums.items()}
        out[f"learner/{learner.name}/rows"] = len(rows)
        return out

    def _terms(self, learner, micro, prompts, responses, extras, adv, old):
        scores = learner.agent.token_scores([prompts[i] for i in micro], [responses[i] for i in micro],
                                            [extras[i] for i in micro])
        width = scores.logprobs.shape[1]
        batch = LossBatch(scores.logprobs, old.logprobs[micro, :width], adv[micro], old.mask[micro, :width],
                          scores.entropy, None)
        return self.loss_spec.call(self.losses[learner.name], batch)

    # --- evaluation and checkpoints ------------------------------------------------------
    def evaluate(self) -> EvalSummary:
        from training.config import eval_env_kwargs, eval_rollout

        c = self.config
        summary, _ = evaluate(c.env, self.agent, "team", c.train.eval_split, c.train.eval_episodes,
                              rollout_config=eval_rollout(c), env_kwargs=eval_env_kwargs(c))
        return summary

    def warm_start(self) -> None:
        raise ValueError("warm_start does not apply to a team")

    def save(self) -> Path:
        model = {l.name: l.agent.state_dict() for l in self.learners}
        state = {"update": self.update, "optimizers": {n: o.state_dict() for n, o in self.optimizers.items()},
                 "rng": ckpt.rng_state()}
        return ckpt.save(self.out, self.update, model, state, None, self.log.history)

    def resume(self, directory: str | Path | None = None) -> None:
        model, state, _, history = ckpt.load(directory or self.out)
        load_learners(self.learners, model)
        for name, optimizer in self.optimizers.items():
            optimizer.load_state_dict(state["optimizers"][name])
        ckpt.set_rng_state(state["rng"])
        self.update = int(state["update"])
        self.log.restore(history)


def load_learners(learners: list[Learner], model: dict) -> None:
    """Every learner's weights from a checkpoint's model state (entries named like the learners)."""
    for learner in learners:
        node = model
        for part in learner.name.split("/"):  # the checkpoint nests "base/solver" as base -> solver
            if not isinstance(node, dict) or part not in node:
                raise ValueError(f"the checkpoint has no entry for learner {learner.name!r}")
            node = node[part]
        learner.agent.load_state_dict(node)


def load_team(path: str | Path) -> Team:
    """A team from a training run folder (its trained weights) or a team config file (initial weights)."""
    from training.agent_factory import is_run_folder
    from training.config import load_config

    folder = Path(path)
    config = load_config(folder / "config.yaml" if is_run_folder(folder) else folder)
    if config.team is None:
        raise ValueError(f"{path}: not a team config (no team section)")
    team, learners = build_config_team(config)
    if is_run_folder(folder):
        load_learners(learners, ckpt.load(folder)[0])
    return team


def _delta_norm(params, before) -> float:
    """The L2 norm of what the last backward passes added to the gradients."""
    total = 0.0
    for p, b in zip(params, before):
        if p.grad is None:
            continue
        delta = p.grad if b is None else p.grad - b
        total += float(delta.detach().float().pow(2).sum())
    return total**0.5
