"""One-step off-policy rollouts (training.collect.RolloutWorker): which weights play which batch,
failures of the worker process, configuration errors."""

import pytest
import torch

from training.collect import RolloutWorker, collect_batch
from training.config import ConfigError, load_config
from training.policies import build_trainable
from tests.test_trainer import SMALL as TRAINER_SMALL
from training.trainer import Trainer, compute_advantages

SMALL = [*TRAINER_SMALL, "algorithm.recompute_old_logprobs=false"]
OFF_POLICY = [*SMALL, "rollout.one_step_off_policy=true"]


def played(records):
    return [(r.episode_id, r.action, r.logprobs) for r in records]


def test_each_batch_is_played_with_the_weights_from_before_the_previous_update(tmp_path):
    config = load_config(None, [*OFF_POLICY, "train.updates=3", f"train.output_dir={tmp_path}"])
    trainer = Trainer(config, build_trainable(config))
    weights, batches = [trainer.agent.state_dict()], []
    try:
        for update in range(3):
            records = trainer.next_batch(update)
            batches.append(records)
            trainer.optimize(records, compute_advantages(records, config), update)
            weights.append(trainer.agent.state_dict())
    finally:
        trainer.close()

    reference = build_trainable(config)
    for update, records in enumerate(batches):
        reference.load_state_dict(weights[max(update - 1, 0)])  # update 0 and 1 both play the initial weights
        assert played(records) == played(collect_batch(config, reference, update)), update
    reference.load_state_dict(weights[2])  # the current weights would have played update 2 otherwise
    assert played(batches[2]) != played(collect_batch(config, reference, 2))


def test_a_failure_in_the_worker_comes_back_as_an_error_with_its_cause(tmp_path):
    config = load_config(None, [*OFF_POLICY, f"train.output_dir={tmp_path}"])
    worker = RolloutWorker(config)
    try:
        weights = build_trainable(config).state_dict()
        weights["tensors"]["embed.weight"] = torch.zeros(3, 3)
        worker.submit(0, weights)
        with pytest.raises(RuntimeError, match="failed on update 0(.|\n)*do not fit"):
            worker.result()
        worker.submit(1, build_trainable(config).state_dict())  # the worker survives its error
        assert worker.result()
    finally:
        worker.close()


def test_a_worker_that_dies_is_reported_not_waited_for(tmp_path):
    config = load_config(None, [*OFF_POLICY, f"train.output_dir={tmp_path}"])
    worker = RolloutWorker(config)
    try:
        worker.submit(0, build_trainable(config).state_dict())
        worker._process.kill()
        with pytest.raises(RuntimeError, match="died while playing update 0"):
            worker.result()
        with pytest.raises(RuntimeError, match="is gone"):
            worker.submit(1, build_trainable(config).state_dict())
    finally:
        worker.close()
    with pytest.raises(RuntimeError, match="no batch was submitted"):
        worker.result()


def test_configurations_it_cannot_serve_are_clear_errors():
    with pytest.raises(ConfigError, match="recompute_old_logprobs=false"):
        load_config(None, [*OFF_POLICY, "algorithm.recompute_old_logprobs=true"])
    with pytest.raises(ConfigError, match="built for the tiny policy"):
        load_config(None, [*OFF_POLICY, "policy.backend=hf"])


def test_resuming_an_in_process_run_off_policy_is_a_clear_error(tmp_path):
    config = load_config(None, [*SMALL, "train.updates=1", "train.eval_every=0", f"train.output_dir={tmp_path}"])
    Trainer(config, build_trainable(config)).run()
    off = load_config(None, [*OFF_POLICY, "train.updates=2", f"train.output_dir={tmp_path}"])
    with pytest.raises(ValueError, match="not written by a one-step off-policy run"):
        Trainer(off, build_trainable(off)).resume(tmp_path)
