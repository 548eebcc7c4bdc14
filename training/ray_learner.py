"""The policy update on its own Ray actor (``ray.learner_actor``), placed on ``ray.learner_cpus`` /
``ray.learner_gpus``.

:class:`LearnerActor` holds a learner: a :class:`~training.trainer.Trainer` of the run's config
with Ray off, built from the same seed, whose ``optimize`` (scores, loss, backward, optimizer
step, LR schedule, EPO's running reference) is the in-process update itself. Each update the
driver sends the batch (the step records with their token ids, and the advantages) and gets back
the update's statistics, the new trained tensors (LoRA: the adapters only), the LR schedule's and
EPO's state, all through Ray. The driver loads the tensors into its own copy of the agent, which
samples the next rollout (or passes them on to an engine actor).

Checkpoints are written by the driver, the same files as in process: the optimizer state (and
the KL reference, and the actor's random state, which LoRA dropout draws from) is fetched from
the actor when saving, and sent back to it on resume. A learner actor that dies stops the run
with Ray's error.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import numpy as np

from agents.backends.ray_engine import end_actor, start_actor
from training import checkpoint as ckpt
from training.config import RayConfig, TrainConfig
from training.records import StepRecord


class LearnerActor:
    def __init__(self, config: TrainConfig, threads: int):
        import torch

        from training.agent_factory import build_trainable
        from training.trainer import Trainer

        torch.set_num_threads(threads)
        # The learner alone: no Ray inside it, no logs of its own (the driver logs).
        log = config.log.model_copy(update={"tensorboard": False, "wandb": False, "progress_bar": False})
        config = config.model_copy(update={"ray": RayConfig(), "log": log})
        self.out = tempfile.mkdtemp(prefix="agora-learner-")
        # local_engine=False: the learner samples nothing (a vllm policy keeps its frozen tied embedding).
        self.trainer = Trainer(config, build_trainable(config, local_engine=False), output_dir=self.out)

    def pid(self) -> int:
        return os.getpid()

    def optimize(self, records: list[StepRecord], advantages: np.ndarray, update: int):
        t = self.trainer
        stats = t.optimize(records, advantages, update)
        return stats, t.agent.state_dict(), t.scheduler.state_dict(), t.epo.state_dict() if t.epo is not None else None

    def checkpoint_state(self):
        """(optimizer state, KL reference state or None, random state): what a checkpoint needs from the learner."""
        t = self.trainer
        return t.optimizer.state_dict(), t.reference.state_dict() if t.reference is not None else None, ckpt.rng_state()

    def restore(self, model: dict, optimizer: dict, scheduler: dict, epo: dict | None, reference: dict | None,
                rng: dict | None) -> None:
        t = self.trainer
        if rng is not None:  # LoRA dropout draws from it
            ckpt.set_rng_state(rng)
        t.agent.load_state_dict(model)
        t.optimizer.load_state_dict(optimizer)
        t.scheduler.load_state_dict(scheduler)
        if t.epo is not None and epo is not None:
            t.epo.load_state_dict(epo)
        if t.reference is not None and reference is not None:
            t.reference.load_state_dict(reference)

    def close(self) -> None:
        self.trainer.close()
        self.trainer.agent.close()
        shutil.rmtree(self.out, ignore_errors=True)


class RemoteLearner:
    """The driver's side: starts the :class:`LearnerActor` and keeps the driver's trainer in step."""

    def __init__(self, config: TrainConfig):
        import ray
        import torch

        self.ray = ray
        s = config.ray
        self.actor, self.actor_pid = start_actor(ray, LearnerActor, (config, torch.get_num_threads()), s.learner_cpus,
                                                 s.learner_gpus, "learner")

    def optimize(self, trainer, records: list[StepRecord], advantages: np.ndarray, update: int):
        """One update on the actor; ``trainer`` (the driver's) gets its weights, LR schedule and EPO state."""
        stats, model, scheduler, epo = self.ray.get(self.actor.optimize.remote(records, advantages, update))
        trainer.agent.load_state_dict(model)  # and on to an engine actor, if there is one
        trainer.scheduler.load_state_dict(scheduler)
        if trainer.epo is not None:
            trainer.epo.load_state_dict(epo)
        return stats

    def checkpoint_state(self):
        return self.ray.get(self.actor.checkpoint_state.remote())

    def restore(self, trainer, rng: dict | None) -> None:
        """Give the actor what ``trainer`` (the driver's) just loaded from a checkpoint, and its own random state."""
        t = trainer
        self.ray.get(self.actor.restore.remote(
            t.agent.state_dict(), t.optimizer.state_dict(), t.scheduler.state_dict(),
            t.epo.state_dict() if t.epo is not None else None,
            t.reference.state_dict() if t.reference is not None else None, rng,
        ))

    def close(self) -> None:
        """End the actor. Safe to call twice, and after Ray was shut down."""
        actor, self.actor = getattr(self, "actor", None), None
        end_actor(self.ray, actor)
