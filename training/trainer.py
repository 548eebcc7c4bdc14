"""The trainer: grouped rollouts -> advantages -> PPO-clip epochs -> log, evaluate, checkpoint.

Every source of randomness of update ``k`` is derived from ``(train.seed, k)``: the training
tasks, the sampling seed and the minibatch order. So a run resumed from a checkpoint replays
exactly what the uninterrupted run would have done (on the same machine and backend).
"""

from __future__ import annotations

import copy
import math
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

import envs
from agents.agent import TokenScores, TrainableAgent
from training import checkpoint as ckpt
from training.advantages import ESTIMATORS
from training.config import TrainConfig, dump_config, eval_env_kwargs, eval_rollout, training_rollout
from training.epo import EPORegularizer
from training.evaluation import EvalSummary, evaluate
from training.guidance import guidance_metrics, guidance_schedule, in_loss
from training.interrupt import StopRequest
from training.losses import LOSSES, LossBatch, aggregate
from training.metrics_log import MetricsLog
from training.outcomes import episode_outcomes
from training.records import StepRecord
from training.rollout import RolloutConfig, rollout
from training.tasks import training_tasks


def compute_advantages(records: list[StepRecord], config: TrainConfig) -> np.ndarray:
    return ESTIMATORS.get(config.algorithm.estimator).call(config, records)


def sampler_scores(records: list[StepRecord]) -> TokenScores | None:
    """The log-probs the sampler reported for each response token, padded like ``token_scores``;
    None when some row lacks them (e.g. an OpenAI server that returns none)."""
    rows = [sampled_logprobs(r) for r in records]
    if not all(rows):
        return None
    width = max(len(lp) for lp in rows)
    logprobs = torch.zeros(len(records), width)
    mask = torch.zeros(len(records), width)
    for j, lp in enumerate(rows):
        logprobs[j, : len(lp)] = torch.tensor(lp)
        mask[j, : len(lp)] = 1.0
    return TokenScores(logprobs=logprobs, entropy=torch.zeros_like(logprobs), mask=mask)


def sampled_logprobs(record: StepRecord) -> list[float] | None:
    """One log-prob per response token, or the LLM candidate head's one candidate-level log-prob."""
    if "candidate_logprob" in record.info:
        return [float(record.info["candidate_logprob"])]
    if record.logprobs and len(record.logprobs) == len(record.response_ids):
        return record.logprobs
    return None


def derived_seed(seed: int, update: int, stream: int) -> int:
    """A seed for one random stream of one update, independent of everything that ran before."""
    return int(np.random.SeedSequence([seed, update, stream]).generate_state(1)[0])


def lr_factor(update: int, total: int, warmup: int, schedule: str) -> float:
    if warmup and update < warmup:
        return (update + 1) / warmup
    progress = (update - warmup) / max(1, total - warmup)
    if schedule == "linear":
        return max(0.0, 1.0 - progress)
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
    return 1.0


def updates_that_fit(update: int, updates_here: int, loop_s: float, elapsed_s: float, budget_s: float, planned: int) -> int:
    """The update count a time budget allows: ``update`` done, the rest of ``budget_s`` at the pace of
    the ``updates_here`` this process ran in ``loop_s`` (evaluations included), at most ``planned``."""
    per_update = loop_s / max(updates_here, 1)
    return min(update + math.ceil(max(budget_s - elapsed_s, 0) / max(per_update, 1e-9)), planned)


LOSS_STATS = ("loss", "policy_loss", "entropy", "clip_fraction", "approx_kl", "ref_kl", "grad_norm", "imitation_nll")


def as_expert_choice(extra: dict) -> dict:
    """A row's extras with the expert's candidate as the one chosen: the tiny policy reads its
    choice from the response (the expert's index), the LLM candidate head from ``choice``."""
    return {**extra, "choice": extra["expert_choice"][0]}


@dataclass
class UpdateStats:
    loss: float
    policy_loss: float
    entropy: float
    clip_fraction: float
    approx_kl: float
    ref_kl: float
    grad_norm: float
    imitation_nll: float  # mean negative log-likelihood of the expert's choices (0 without imitation)
    logprob_mismatch: float  # mean |sampler log-prob - trainer log-prob| of the old policy


class Trainer:
    engine = learner = None  # the generation engine and the update on Ray actors (ray.engine_actor, ray.learner_actor)

    def __init__(self, config: TrainConfig, agent: TrainableAgent, output_dir: str | Path | None = None):
        self.config = config
        self.agent = agent
        self.out = Path(output_dir or config.train.output_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(config.train.seed)
        o = config.optim
        self.optimizer = torch.optim.AdamW(agent.trainable_parameters(), lr=o.lr, betas=o.betas, weight_decay=o.weight_decay)
        total = config.train.updates
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda k: lr_factor(k, total, o.warmup_updates, o.schedule)
        )
        self.reference = copy.deepcopy(agent) if config.algorithm.kl_coef > 0 else None
        self.loss_spec = LOSSES.get(config.algorithm.loss)
        e = config.algorithm.epo
        self.epo = (
            EPORegularizer(total, e.entropy_coef, e.decay, e.kappa_low, e.kappa_high, e.smooth_weight) if e.enabled else None
        )
        self.guidance = guidance_schedule(config)
        self.update = 0  # updates completed
        self.stopped_by: str | None = None  # the signal that ended run() early, if any
        self.log = MetricsLog(self.out, config.log)
        (self.out / "config.yaml").write_text(dump_config(config))
        # Training envs live across updates: in this process (idle ones closed by run()'s end), or
        # on Ray env actors (config section `ray`; ended by close()).
        if config.ray.active:
            from training.ray_pool import RayEnvPool

            self.env_pool = RayEnvPool(config.env, config.env_kwargs, config.ray)
        else:
            self.env_pool = envs.EnvPool()
        try:
            if config.ray.active and config.ray.engine_actor:
                from agents.backends.ray_engine import RemoteBackend

                self.engine = RemoteBackend(agent.engine_spec(), num_cpus=config.ray.engine_cpus, num_gpus=config.ray.engine_gpus)
                agent.sample_on(self.engine)
            if config.ray.active and config.ray.learner_actor:
                from training.ray_learner import RemoteLearner

                self.learner = RemoteLearner(config)
        except BaseException:
            self.close()  # the env actors (and a local Ray) end too
            raise

    # --- one update --------------------------------------------------------------------
    def rollout_config(self, update: int) -> RolloutConfig:
        rollout_config = training_rollout(self.config, seed=derived_seed(self.config.train.seed, update, 1))
        if self.guidance is None:
            return rollout_config
        return replace(rollout_config, guided_members=self.config.guidance.members, guided_steps=self.guidance.steps)

    def collect(self, update: int) -> list[StepRecord]:
        c = self.config
        rng = np.random.default_rng(derived_seed(c.train.seed, update, 0))
        tasks = training_tasks(c.env, c.rollout.split, c.rollout.tasks_per_batch, rng)
        self.agent.train_mode(False)
        records = rollout(c.env, self.agent, tasks, self.rollout_config(update), episode_prefix=f"u{update}.",
                          env_kwargs=c.env_kwargs, env_pool=self.env_pool)
        if not records:
            raise RuntimeError(f"update {update}: env faults dropped every group of the batch (see faults/* in the metrics)")
        return records

    def optimize(self, records: list[StepRecord], advantages: np.ndarray, update: int) -> UpdateStats:
        a = self.config.algorithm
        rows = [i for i, r in enumerate(records) if r.response_ids and in_loss(r, self.config)]
        if not rows:
            raise RuntimeError("no step record carries response tokens: the policy cannot be trained")
        if a.skip_zero_advantage:  # rows that carry an expert label still teach imitation
            rows = [i for i in rows if advantages[i] != 0 or (a.imitation_coef and "expert_choice" in records[i].info)]
            if not rows:  # nothing to learn from this batch (every group tied)
                self._end_update()
                return UpdateStats(**dict.fromkeys(LOSS_STATS, 0.0), logprob_mismatch=float("nan"))
        prompts = [records[i].prompt_ids for i in rows]
        responses = [records[i].response_ids for i in rows]
        extras = [records[i].info for i in rows]
        adv = torch.tensor(advantages[rows], dtype=torch.float32)
        trajectory_of = {}
        traj_ids = torch.tensor([trajectory_of.setdefault(records[i].trajectory_key, len(trajectory_of)) for i in rows])

        self.agent.train_mode(False)
        sampler = sampler_scores([records[i] for i in rows])
        with torch.no_grad():
            if a.recompute_old_logprobs or sampler is None:
                old = self.agent.token_scores(prompts, responses, extras)
            else:
                old = sampler
            ref = self.reference.token_scores(prompts, responses, extras) if self.reference is not None else None
        mismatch = float("nan")
        if sampler is not None and old is not sampler:
            mismatch = float(aggregate((sampler.logprobs - old.logprobs).abs(), old.mask))

        self.agent.train_mode(True)
        gen = torch.Generator().manual_seed(derived_seed(self.config.train.seed, update, 2))
        sums = dict.fromkeys(LOSS_STATS, 0.0)
        steps = 0
        for _ in range(a.ppo_epochs):
            order = torch.randperm(len(rows), generator=gen)
            for start in range(0, len(rows), a.minibatch_size):
                batch = order[start : start + a.minibatch_size]
                self.optimizer.zero_grad(set_to_none=True)
                for micro in batch.chunk(a.grad_accum):
                    stats = self._loss(micro, prompts, responses, extras, adv, old, ref, traj_ids)
                    (stats["loss"] / a.grad_accum).backward()
                    for k, v in stats.items():
                        sums[k] += float(v.detach()) / a.grad_accum
                sums["grad_norm"] += self._clip_and_step()
                steps += 1
        self._end_update()
        self.agent.train_mode(False)
        self.agent.after_update()
        return UpdateStats(**{k: v / steps for k, v in sums.items()}, logprob_mismatch=mismatch)

    def _clip_and_step(self) -> float:
        """Clip the gradient norm, take the optimizer step; returns the norm before clipping."""
        params = [p for g in self.optimizer.param_groups for p in g["params"]]
        norm = float(torch.nn.utils.clip_grad_norm_(params, self.config.optim.max_grad_norm))
        self.optimizer.step()
        return norm

    def _end_update(self) -> None:
        """Advance what counts updates: the LR schedule and EPO's running entropy reference."""
        self.scheduler.step()
        if self.epo is not None:
            self.epo.end_update()

    def _loss(self, idx, prompts, responses, extras, adv, old, ref, traj_ids) -> dict:
        idx = idx.tolist()
        scores = self.agent.token_scores([prompts[i] for i in idx], [responses[i] for i in idx], [extras[i] for i in idx])
        width = scores.logprobs.shape[1]
        mask = old.mask[idx, :width]
        batch = LossBatch(scores.logprobs, old.logprobs[idx, :width], adv[idx], mask, scores.entropy,
                          ref.logprobs[idx, :width] if ref is not None else None)
        terms = self.loss_spec.call(self.config, batch)
        loss = terms.loss
        if self.epo is not None:
            loss = self.epo.loss(loss, scores.entropy, mask, traj_ids[idx]).total
        imitation_nll = torch.zeros(())
        if self.config.algorithm.imitation_coef:
            labelled = [i for i in idx if "expert_choice" in extras[i]]
            if labelled:
                expert = self.agent.token_scores([prompts[i] for i in labelled], [extras[i]["expert_choice"] for i in labelled],
                                                 [as_expert_choice(extras[i]) for i in labelled])
                imitation_nll = -aggregate(expert.logprobs, expert.mask)
                loss = loss + self.config.algorithm.imitation_coef * imitation_nll
        return {
            "loss": loss,
            "policy_loss": terms.policy_loss.detach(),
            "entropy": aggregate(scores.entropy.detach(), mask),
            "clip_fraction": terms.clip_fraction.detach(),
            "approx_kl": terms.approx_kl.detach(),
            "ref_kl": terms.ref_kl.detach(),
            "imitation_nll": imitation_nll.detach(),
        }

    # --- the loop --------------------------------------------------------------------
    def evaluate(self) -> EvalSummary:
        c = self.config
        self.agent.train_mode(False)
        self._close_idle_envs()  # the panel's envs and idle training ones (JVMs) never coexist
        summary, _ = evaluate(
            c.env, self.agent, c.policy.backend, c.train.eval_split, c.train.eval_episodes, rollout_config=eval_rollout(c),
            env_kwargs=eval_env_kwargs(c),
        )
        return summary

    def train_one(self) -> dict:
        k = self.update
        t0 = time.perf_counter()
        records = self.collect(k)
        t_rollout = time.perf_counter() - t0
        advantages = compute_advantages(records, self.config)
        stats = self.optimize(records, advantages, k) if self.learner is None else self.learner.optimize(self, records, advantages, k)
        t_total = time.perf_counter() - t0
        outcomes = episode_outcomes(records)
        self.update += 1
        metrics = {
            "update": self.update,
            "train/success": float(np.mean([o.won for o in outcomes])),
            "train/reward": float(np.mean([o.reward for o in outcomes])),
            "train/episode_length": float(np.mean([o.length for o in outcomes])),
            "train/invalid_rate": float(np.mean([not r.action_valid for r in records])),
            "adv/mean": float(advantages.mean()),
            "adv/std": float(advantages.std()),
            "adv/abs_max": float(np.abs(advantages).max()),
            "adv/zero_fraction": float(np.mean(advantages == 0)),
            **{f"loss/{k}": v for k, v in vars(stats).items()},
            "lr": self.scheduler.get_last_lr()[0],
            "perf/steps_per_s": len(records) / max(t_rollout, 1e-9),
            "perf/rollout_s": t_rollout,
            "perf/update_s": t_total - t_rollout,
        }
        if self.config.ray.active:
            metrics.update(self.env_pool.take_faults().metrics())
        if self.epo is not None and self.epo.reference is not None:
            metrics["epo/entropy_reference"] = self.epo.reference
        if self.guidance is not None:
            metrics.update(guidance_metrics(self.guidance, records))
            self.guidance.observe(metrics["train/success"])
        return metrics

    def warm_start(self) -> None:
        """Behaviour cloning on the scripted expert before the first update (``warm_start`` section)."""
        from training.warm_start import behaviour_clone

        c = self.config
        rng = np.random.default_rng(derived_seed(c.train.seed, 0, 3))
        tasks = training_tasks(c.env, c.rollout.split, c.warm_start.expert_episodes, rng)
        t0 = time.perf_counter()
        stats = behaviour_clone(
            self.agent, c.env, tasks, self.rollout_config(0), c.warm_start.epochs, c.algorithm.minibatch_size, c.optim.lr,
            seed=derived_seed(c.train.seed, 0, 4), env_kwargs=c.env_kwargs,
        )
        self.log.note(
            f"warm start: imitated the expert on {len(tasks)} episodes ({stats.decisions} decisions) in "
            f"{time.perf_counter() - t0:.0f} s, loss {stats.loss_before:.2f} -> {stats.loss_after:.2f}"
        )

    def run(self) -> list[dict]:
        """Train to ``train.updates`` (or the time budget); SIGINT/SIGTERM end it after the update
        under way, with a checkpoint (see training/interrupt.py)."""
        try:
            with StopRequest() as self._stop:
                return self._run()
        finally:
            self._close_idle_envs()

    def _close_idle_envs(self) -> None:
        """Close the in-process pool's idle envs (it makes new ones when asked); Ray actors stay."""
        if isinstance(self.env_pool, envs.EnvPool):
            self.env_pool.close()

    def _run(self) -> list[dict]:
        c = self.config.train
        start = time.perf_counter()
        budget_s = 60 * c.max_minutes if c.max_minutes is not None else None
        bar = self.log.progress(c.updates, initial=self.update, seconds=budget_s)
        if self.update == 0 and self.config.warm_start.expert_episodes:
            self.warm_start()  # inside the time budget
        first_update, loop_start, out_of_time = self.update, time.perf_counter(), False
        while self.update < c.updates:
            metrics = self.train_one()
            last = self.update == c.updates
            out_of_time = budget_s is not None and time.perf_counter() - start > budget_s
            if (c.eval_every and self.update % c.eval_every == 0) or last or out_of_time:
                summary = self.evaluate()
                metrics.update({"eval/success": summary.success.mean, "eval/success_low": summary.success.low,
                                "eval/success_high": summary.success.high, "eval/reward": summary.reward.mean,
                                **{f"eval/{name}": est.mean for name, est in summary.metrics.items()}})
            if budget_s is not None:
                self._show_budget_estimate(bar, start, loop_start, first_update, budget_s)
            self.log.write(metrics, bar, elapsed_s=time.perf_counter() - start if budget_s is not None else None)
            self.stopped_by = self._stop.requested
            if (c.checkpoint_every and self.update % c.checkpoint_every == 0) or last or out_of_time or self.stopped_by:
                saved = self.save()
            if out_of_time or self.stopped_by:
                break
        bar.close()
        if out_of_time:
            self.log.note(f"stopped after {self.update} updates: train.max_minutes={c.max_minutes} reached")
        if self.stopped_by:
            self.log.note(f"{self.stopped_by}: stopped after update {self.update} of {c.updates}; checkpoint "
                          f"{saved} saved; continue with `agora train --resume {self.out}`")
        self.log.finish()
        return self.log.history

    def _show_budget_estimate(self, bar, start: float, loop_start: float, first_update: int, budget_s: float) -> None:
        """The updates the time budget allows at this run's pace: on the bar, and once as a note."""
        now = time.perf_counter()
        here = self.update - first_update
        fit = updates_that_fit(self.update, here, now - loop_start, now - start, budget_s, self.config.train.updates)
        bar.set_description(f"time budget, ~{fit} updates fit", refresh=False)
        if here == 5:
            bar.write(f"agora: at {(now - loop_start) / here:.1f} s per update so far, ~{fit} updates fit in the "
                      f"{budget_s / 60:g}-minute budget (train.max_minutes)", file=sys.stderr)

    def close(self) -> None:
        """End what the trainer started: its envs, the Ray actors (and a local Ray). Safe to call twice."""
        for actor in (self.engine, self.learner):
            if actor is not None:
                actor.close()
        if self.env_pool is not None:
            self.env_pool.close()
            self.env_pool = None

    # --- checkpoints -------------------------------------------------------------------
    def save(self) -> Path:
        learner_rng = None
        if self.learner is None:
            optimizer = self.optimizer.state_dict()
            reference = self.reference.state_dict() if self.reference is not None else None
        else:  # they live on the learner actor
            optimizer, reference, learner_rng = self.learner.checkpoint_state()
        state = {
            "update": self.update,
            "optimizer": optimizer,
            "scheduler": self.scheduler.state_dict(),
            "epo": self.epo.state_dict() if self.epo is not None else None,
            "guidance": self.guidance.state_dict() if self.guidance is not None else None,
            "rng": ckpt.rng_state(),
            "learner_rng": learner_rng,
        }
        return ckpt.save(self.out, self.update, self.agent.state_dict(), state, reference, self.log.history)

    def resume(self, directory: str | Path | None = None) -> None:
        model, state, reference, history = ckpt.load(directory or self.out)
        self.agent.load_state_dict(model)
        if self.reference is not None and reference is not None:
            self.reference.load_state_dict(reference)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.epo is not None and state.get("epo"):
            self.epo.load_state_dict(state["epo"])
        if self.guidance is not None and state.get("guidance"):
            self.guidance.load_state_dict(state["guidance"])
        ckpt.set_rng_state(state["rng"])
        self.update = int(state["update"])
        self.log.restore(history)
        if self.learner is not None:
            self.learner.restore(self, state.get("learner_rng"))
