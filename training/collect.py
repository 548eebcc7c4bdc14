"""Collecting one update's training batch: in this process, or in a child process one update ahead.

:func:`collect_batch` plays update ``k``'s tasks with the agent's current weights.
:class:`RolloutWorker` plays them in a second process, so that on a machine with two cores the
batch of update ``k + 1`` is played while update ``k`` trains (``rollout.one_step_off_policy``):
the batch then comes from the weights one update old, as in one-step off-policy asynchronous RL
trainers, and PPO's ratio against the sampler's own log-probs corrects for that (clipping bounds
it). Which weights play which update is fixed -- update ``k``'s batch always uses the weights from
after update ``k - 1`` -- so a run stays deterministic and resumes exactly.
"""

from __future__ import annotations

import multiprocessing
import traceback
from typing import Any

import numpy as np

from agents.agent import TrainableAgent
from agents.policy import SamplingConfig
from training.config import TrainConfig
from training.evaluation import training_tasks
from training.records import StepRecord
from training.rollout import RolloutConfig, rollout


def derived_seed(seed: int, update: int, stream: int) -> int:
    """A seed for one random stream of one update, independent of everything that ran before."""
    return int(np.random.SeedSequence([seed, update, stream]).generate_state(1)[0])


def rollout_config(config: TrainConfig, update: int) -> RolloutConfig:
    r = config.rollout
    sampling = SamplingConfig(
        temperature=r.temperature, top_p=r.top_p, max_tokens=r.max_tokens, seed=derived_seed(config.train.seed, update, 1)
    )
    return RolloutConfig(group_size=r.group_size, memory_k=r.memory_k, max_turns=r.max_turns, sampling=sampling)


def collect_batch(config: TrainConfig, agent: TrainableAgent, update: int) -> list[StepRecord]:
    """Update ``update``'s grouped rollouts: its tasks and sampling seed depend on (seed, update) only."""
    rng = np.random.default_rng(derived_seed(config.train.seed, update, 0))
    tasks = training_tasks(config.env, config.rollout.split, config.rollout.tasks_per_batch, rng)
    agent.train_mode(False)
    return rollout(
        config.env, agent, tasks, rollout_config(config, update), episode_prefix=f"u{update}.", env_kwargs=config.env_kwargs
    )


class RolloutWorker:
    """A child process that plays training batches with the weights it is sent.

    ``submit(update, weights)`` starts one batch, ``result()`` waits for it. A failure in the child
    comes back as a RuntimeError carrying its traceback, and a child that died (killed, out of
    memory) is reported the same way, never waited on forever. The child runs one torch thread:
    the learner's process has the other core. It is started with "spawn", which imports the
    caller's main module again: a script must start training under ``if __name__ == "__main__":``.
    """

    def __init__(self, config: TrainConfig):
        context = multiprocessing.get_context("spawn")  # fork would copy torch's threads and locks
        self._conn, child_end = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(config.model_dump(mode="json"), child_end), daemon=True, name="agora-rollout"
        )
        self._process.start()
        child_end.close()  # so that the child's death reads as end-of-file here
        self._pending: int | None = None

    def submit(self, update: int, weights: dict[str, Any]) -> None:
        if self._pending is not None:
            raise RuntimeError(f"the rollout worker is still playing update {self._pending}")
        self._send((update, _to_numpy(weights)))
        self._pending = update

    def result(self) -> list[StepRecord]:
        if self._pending is None:
            raise RuntimeError("no batch was submitted to the rollout worker")
        update, self._pending = self._pending, None
        try:
            status, payload = self._conn.recv()
        except (EOFError, OSError):
            self._process.join(timeout=5)
            raise RuntimeError(
                f"the rollout worker died while playing update {update} (exit code {self._process.exitcode}){_HINT}"
            ) from None
        if status != "ok":
            raise RuntimeError(f"the rollout worker failed on update {update}:\n{payload}")
        return payload

    def close(self) -> None:
        if self._process.is_alive():
            try:
                self._conn.send(None)
            except (BrokenPipeError, OSError):
                pass
            self._process.join(timeout=5)
            if self._process.is_alive():  # still busy with a batch nobody will read
                self._process.terminate()
                self._process.join()
        self._conn.close()

    def _send(self, message: Any) -> None:
        try:
            self._conn.send(message)
        except (BrokenPipeError, OSError):
            raise RuntimeError(f"the rollout worker is gone (exit code {self._process.exitcode}){_HINT}") from None


_HINT = (
    "; its error, if any, is printed above. A script that trains with rollout.one_step_off_policy must start "
    'under `if __name__ == "__main__":` (the worker process imports the main module again).'
)


def _to_numpy(weights: dict[str, Any]) -> dict[str, Any]:
    """Tensors as numpy arrays: plain pickles, with no shared-memory handles to keep alive."""
    return {k: _to_numpy(v) if isinstance(v, dict) else v.numpy() if hasattr(v, "numpy") else v for k, v in weights.items()}


def _to_torch(weights: dict[str, Any]) -> dict[str, Any]:
    import torch

    return {
        k: _to_torch(v) if isinstance(v, dict) else torch.from_numpy(v) if isinstance(v, np.ndarray) else v
        for k, v in weights.items()
    }


def _serve(config_data: dict, conn) -> None:
    import torch

    from training.commands import keep_freed_memory
    from training.policies import build_trainable

    torch.set_num_threads(1)
    keep_freed_memory()
    config = TrainConfig.model_validate(config_data)
    agent = build_trainable(config)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the learner is gone
            return
        if message is None:
            return
        update, weights = message
        try:
            agent.load_state_dict(_to_torch(weights))
            reply = ("ok", collect_batch(config, agent, update))
        except Exception:
            reply = ("error", traceback.format_exc())
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return
