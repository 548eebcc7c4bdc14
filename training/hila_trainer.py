"""HILA's dual loop for agora's trainable policies (``trainer: hila`` in a training config).

The same two loops as :mod:`training.hila`, with the tiny policy or an LLM (LoRA, candidate-scoring
head) as each agent's meta-policy instead of a table of logits.

Inner loop (one update). ``rollout.tasks_per_batch`` games of agora/HILA-v0 are played with the
policy sampling its decisions; the env executes and grades *every* admissible decision of every
state (``record_candidates``), so a state is one group: its candidates' rewards minus their mean
(``hila.normalise_std`` also divides by their std; the bias that brings is in :mod:`training.hila`).
The loss is minus ``sum_a pi(a|s) A_a`` per state, averaged over states: its gradient is the exact
policy gradient at s (``pi`` detached as a weight), so ``algorithm.ppo_epochs`` passes need no
clipping. ``pi(a|s)`` comes from the agent's own scoring of each candidate (``token_scores``);
states whose candidates all score alike carry no gradient and are skipped.

Outer loop. ``train.updates`` are split evenly into ``hila.outer_rounds`` rounds. At the end of each
the greedy policy is evaluated (defer rate, expected decision reward and majority accuracy per
task type, logged as ``round/<type>/...``); before the next, it plays ``hila.deploy_episodes`` fresh
training games, and every deferral there, answered by the expert, is a supervised example
(problem -> expert answer). ``hila.solver=simulated``: the env's simulated solver learns from them
by :func:`training.hila.learn_from_experts` (its skill is logged as ``hila/skill/<type>``, which a
resumed run reads back). ``hila.solver=policy``: the trained LLM itself writes the agents' answers,
and the same adapter is fine-tuned on the examples, in the prompt the solver sees
(:meth:`envs.hila.solvers.PolicySolver.prompt`); the examples' loss before and after is logged.

Evaluation (here and `agora eval`) reports success, reward, and deferrals, creates and cost per
episode with 95% intervals. `agora eval` plays the env's own solver (``env_kwargs``): a run with
``hila.solver=policy`` is evaluated with its fine-tuned solver only here, during training.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np
import torch

from agents.llm.candidate_head import HEAD
from envs.hila.env import DEFER, HilaEnv
from envs.hila.solvers import PolicySolver, SimulatedSolver
from training.config import TrainConfig, eval_env_kwargs, eval_rollout
from training.evaluation import EvalSummary, evaluate
from training.hila import DeferralExample, group_advantages, learn_from_experts, summarise
from training.outcomes import episode_outcomes
from training.records import StepRecord
from training.rollout import RolloutConfig, rollout
from training.tasks import training_tasks
from training.trainer import Trainer, derived_seed


class HilaTrainer(Trainer):
    def __init__(self, config: TrainConfig, agent, output_dir=None):
        super().__init__(config, agent, output_dir)
        h = config.hila
        if h.solver == "policy":
            self.solver = PolicySolver(agent.policy, max_tokens=h.answer_tokens)
        else:
            self.solver = HilaEnv(**config.env_kwargs).solver
            if not isinstance(self.solver, SimulatedSolver):
                raise ValueError("hila.solver=simulated needs env_kwargs.solver to be a simulated one (an accuracy mapping)")
        self.updates_per_round = math.ceil(config.train.updates / h.outer_rounds)
        self.last_eval: list[StepRecord] = []
        self._evaluated: tuple[int, EvalSummary] | None = None  # (update, summary): a round's end and the run's share one

    def env_kwargs(self, base: dict, **more) -> dict:
        return {**base, "solver": self.solver, **more}

    # --- the inner loop ------------------------------------------------------------------
    def rollout_config(self, update: int) -> RolloutConfig:
        return replace(super().rollout_config(update), group_size=1)  # the enumeration is the group

    def collect(self, update: int) -> list[StepRecord]:
        c = self.config
        rng = np.random.default_rng(derived_seed(c.train.seed, update, 0))
        tasks = training_tasks(c.env, c.rollout.split, c.rollout.tasks_per_batch, rng)
        self.agent.train_mode(False)
        return rollout(c.env, self.agent, tasks, self.rollout_config(update), episode_prefix=f"u{update}.",
                       env_kwargs=self.env_kwargs(c.env_kwargs, record_candidates=True))

    def optimize_groups(self, records: list[StepRecord], update: int) -> dict:
        a = self.config.algorithm
        states = [r for r in records if "candidate_rewards" in r.info]
        advantages = [group_advantages(np.array(r.info["candidate_rewards"]), self.config.hila.normalise_std)
                      for r in states]
        learning = [i for i, adv in enumerate(advantages) if np.any(adv != 0)]
        stats = {"loss": 0.0, "entropy": 0.0, "grad_norm": 0.0, "states": len(states), "learning_states": len(learning)}
        if not learning:
            self._end_update()
            return stats
        gen = torch.Generator().manual_seed(derived_seed(self.config.train.seed, update, 2))
        self.agent.train_mode(True)
        steps = 0
        for _ in range(a.ppo_epochs):
            order = [learning[i] for i in torch.randperm(len(learning), generator=gen).tolist()]
            for start in range(0, len(order), a.minibatch_size):
                batch = order[start : start + a.minibatch_size]
                self.optimizer.zero_grad(set_to_none=True)
                for micro in np.array_split(batch, min(a.grad_accum, len(batch))):
                    loss, spread = self._group_loss([states[i] for i in micro], [advantages[i] for i in micro])
                    (loss * len(micro) / len(batch)).backward()
                    stats["loss"] += float(loss.detach()) * len(micro) / len(batch)
                    stats["entropy"] += spread * len(micro) / len(batch)
                stats["grad_norm"] += self._clip_and_step()
                steps += 1
        self._end_update()
        self.agent.train_mode(False)
        self.agent.after_update()
        return {**stats, **{k: stats[k] / steps for k in ("loss", "entropy", "grad_norm")}}

    def _group_loss(self, states: list[StepRecord], advantages: list[np.ndarray]) -> tuple[torch.Tensor, float]:
        """Minus the mean over states of ``sum_a pi(a|s) A_a`` (pi detached), and the mean entropy of pi."""
        logprobs, spread = candidate_logprobs(self.agent, states)
        weights = torch.tensor(np.concatenate(advantages), dtype=logprobs.dtype) * logprobs.detach().exp()
        return -(weights * logprobs).sum() / len(states), spread

    def train_one(self) -> dict:
        k = self.update
        t0 = time.perf_counter()
        records = self.collect(k)
        t_rollout = time.perf_counter() - t0
        stats = self.optimize_groups(records, k)
        self.update += 1
        outcomes = episode_outcomes(records)
        metrics = {
            "update": self.update,
            "train/success": float(np.mean([o.won for o in outcomes])),
            "train/reward": float(np.mean([o.reward for o in outcomes])),
            "train/defer_rate": float(np.mean([r.action == DEFER for r in records])),
            "train/invalid_rate": float(np.mean([not r.action_valid for r in records])),
            **{f"loss/{name}": value for name, value in stats.items()},
            "lr": self.scheduler.get_last_lr()[0],
            "perf/steps_per_s": len(records) / max(t_rollout, 1e-9),
            "perf/rollout_s": t_rollout,
            "perf/update_s": time.perf_counter() - t0 - t_rollout,
        }
        if self.update % self.updates_per_round == 0 or self.update == self.config.train.updates:
            metrics.update(self.end_round(self.update // self.updates_per_round - (self.update % self.updates_per_round == 0)))
        return metrics

    # --- the outer loop ------------------------------------------------------------------
    def end_round(self, round_: int) -> dict:
        """Log the round's per-type table; unless it is the last round, learn from the expert."""
        self.evaluate()
        metrics = {"hila/round": round_}
        for task_type, row in summarise(decision_rows(self.last_eval)).items():
            metrics.update({f"round/{task_type}/{name}": value for name, value in row.items()})
        if round_ + 1 < self.config.hila.outer_rounds:
            metrics.update(self.learn_from_deferrals(round_))
        return metrics

    def deploy(self, round_: int) -> list[StepRecord]:
        """The greedy policy on fresh training games (a seed stream of their own)."""
        c = self.config
        rng = np.random.default_rng(derived_seed(c.train.seed, round_, 5))
        tasks = training_tasks(c.env, c.rollout.split, c.hila.deploy_episodes, rng)
        self.agent.train_mode(False)
        return rollout(c.env, self.agent, tasks, replace(self.rollout_config(0), sampling=eval_rollout(c).sampling),
                       episode_prefix=f"deploy{round_}.", env_kwargs=self.env_kwargs(c.env_kwargs))

    def learn_from_deferrals(self, round_: int) -> dict:
        examples = [DeferralExample(d["problem"], d["task_type"], d["answer"], d["correct"])
                    for d in (r.info.get("deferral") for r in self.deploy(round_)) if d is not None]
        metrics = {"hila/examples": len(examples), "hila/examples_correct": sum(e.correct for e in examples)}
        if isinstance(self.solver, SimulatedSolver):
            h = self.config.hila
            self.solver = learn_from_experts(self.solver, examples, h.learn_rate, h.ceiling)
            metrics.update({f"hila/skill/{t}": p for t, p in sorted(self.solver.accuracy.items())})
        elif examples:
            before, after = self.fine_tune_solver(examples)
            metrics.update({"hila/sft_loss_before": before, "hila/sft_loss_after": after})
        self.log.note(f"round {round_}: {len(examples)} answered deferrals to learn from "
                      + ", ".join(f"{k.removeprefix('hila/')} {v:.3f}" for k, v in metrics.items() if "sft" in k or "skill" in k))
        return metrics

    def sft_batch(self, examples: list[DeferralExample]) -> tuple[list[list[int]], list[list[int]]]:
        """Prompt and response ids of each example, tokenised as the solver's own generations are."""
        from agents.backends.chat import encode_prompt

        tokenizer = self.agent.tokenizer
        prompts, responses = [], []
        for e in examples:
            prompts.append(encode_prompt(tokenizer, self.solver.prompt(e.problem)))
            responses.append(tokenizer(e.as_sft_row()["response"], add_special_tokens=False).input_ids + [self.agent.end_id])
        return prompts, responses

    def fine_tune_solver(self, examples: list[DeferralExample]) -> tuple[float, float]:
        """``hila.sft_epochs`` passes of next-token cross-entropy on the examples' responses (the
        adapter the meta-policy shares); returns the mean token loss before and after."""
        from agents.backends.hf import response_logprobs

        h, agent = self.config.hila, self.agent
        prompts, responses = self.sft_batch(examples)

        def token_loss(rows: list[int]) -> torch.Tensor:
            logprobs, mask, *_ = response_logprobs(agent.model, [prompts[i] for i in rows], [responses[i] for i in rows],
                                                   temperature=1.0, top_p=1.0, pad_token_id=agent.pad_id)
            mask = mask.float()
            return -(logprobs * mask).sum() / mask.sum()

        everything = list(range(len(examples)))
        with torch.no_grad():
            before = float(token_loss(everything))
        optimizer = torch.optim.AdamW(agent.trainable_parameters(), lr=h.sft_lr)
        gen = torch.Generator().manual_seed(derived_seed(self.config.train.seed, self.update, 6))
        agent.train_mode(True)
        for _ in range(h.sft_epochs):
            order = torch.randperm(len(examples), generator=gen).tolist()
            for start in range(0, len(order), 4):  # four examples per step: short answers, small batches
                optimizer.zero_grad(set_to_none=True)
                token_loss(order[start : start + 4]).backward()
                torch.nn.utils.clip_grad_norm_(agent.trainable_parameters(), self.config.optim.max_grad_norm)
                optimizer.step()
        agent.train_mode(False)
        agent.after_update()
        with torch.no_grad():
            after = float(token_loss(everything))
        return before, after

    # --- evaluation and resuming ---------------------------------------------------------
    def evaluate(self) -> EvalSummary:
        if self._evaluated is not None and self._evaluated[0] == self.update:
            return self._evaluated[1]
        c = self.config
        self.agent.train_mode(False)
        summary, self.last_eval = evaluate(
            c.env, self.agent, c.policy.backend, c.train.eval_split, c.train.eval_episodes,
            rollout_config=eval_rollout(c), env_kwargs=self.env_kwargs(eval_env_kwargs(c)),
        )
        self._evaluated = (self.update, summary)
        return summary

    def resume(self, directory=None) -> None:
        super().resume(directory)
        skills = [m for m in self.log.history if any(k.startswith("hila/skill/") for k in m)]
        if skills and isinstance(self.solver, SimulatedSolver):
            learned = {k.removeprefix("hila/skill/"): v for k, v in skills[-1].items() if k.startswith("hila/skill/")}
            self.solver = SimulatedSolver(learned, self.solver.default)


def candidate_logprobs(agent, states: list[StepRecord]) -> tuple[torch.Tensor, float]:
    """``log pi(a|s)`` of every candidate of every state, concatenated in order, with gradients, and
    the mean entropy of the states' distributions."""
    if states[0].info.get("action_head") == HEAD:  # an LLM's candidate head scores a state's candidates in one pass
        scored = [agent.candidate_distribution(r.prompt_ids, r.info["candidate_ids"]) for r in states]
        return torch.cat([lp.cpu() for lp, _ in scored]), float(np.mean([float(h) for _, h in scored]))
    # The tiny policy: one row per candidate (its response is the candidate's index), in one batch.
    rows = [(r, k) for r in states for k in range(len(r.info["candidate_ids"]))]
    scores = agent.token_scores([r.prompt_ids for r, _ in rows], [[k] for _, k in rows], [r.info for r, _ in rows])
    first = np.cumsum([0] + [len(r.info["candidate_ids"]) for r in states[:-1]])  # each state's first row
    return scores.logprobs[:, 0], float(scores.entropy[first, 0].detach().mean())


def decision_rows(records: list[StepRecord]) -> list[dict]:
    """The evaluation's step records as :func:`training.hila.summarise` reads them."""
    return [{"task_type": r.info.get("task_type", "all"), "kind": r.action.split()[0] if r.action else "",
             "reward": r.reward, "won": r.info.get("won") if r.done else None} for r in records]
