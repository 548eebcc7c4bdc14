"""The policy update on its own Ray actor (training/ray_learner.py, ``ray.learner_actor``): the same
metrics and weights as the in-process update, update after update, and a checkpoint written by the
driver that resumes exactly. The tiny policy; one local Ray for the module, none left after it."""

import json
import math
import shutil

import pytest
import torch

from training.agent_factory import build_trainable
from training.config import load_config
from training.trainer import Trainer

from tests.ray_helpers import assert_process_ends, local_ray_session

SMALL = [
    "env=agora/LostSalesText-v0", "env_kwargs.periods=6", "rollout.tasks_per_batch=4", "rollout.group_size=2",
    "train.updates=3", "log.progress_bar=false", "log.tensorboard=false", "algorithm.kl_coef=0.05",
]
ON_RAY = ["ray.enabled=true", "ray.env_actors=1", "ray.cpus_per_env_actor=0.5", "ray.learner_actor=true"]


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    yield from local_ray_session()


def trainer(out, *overrides):
    config = load_config(None, [*SMALL, *overrides, f"train.output_dir={out}"])
    return Trainer(config, build_trainable(config))


def learned(metrics):
    return {k: v for k, v in metrics.items() if k.split("/")[0] in ("loss", "adv", "train", "lr", "update")}


def assert_same_metrics(remote, local):
    assert remote.keys() == local.keys()
    for key, value in local.items():
        assert math.isclose(remote[key], value, rel_tol=1e-6, abs_tol=1e-9) or (math.isnan(value) and math.isnan(remote[key])), key


def assert_same_weights(a, b):
    mine, theirs = a.agent.state_dict()["tensors"], b.agent.state_dict()["tensors"]
    assert mine.keys() == theirs.keys()
    for name, tensor in theirs.items():
        torch.testing.assert_close(mine[name], tensor, rtol=1e-6, atol=1e-7)


def test_updates_on_the_learner_actor_equal_the_in_process_updates(tmp_path):
    local, remote = trainer(tmp_path / "local"), trainer(tmp_path / "remote", *ON_RAY)
    try:
        pid = remote.learner.actor_pid
        initial = {k: v.clone() for k, v in remote.agent.state_dict()["tensors"].items()}
        for _ in range(2):  # the second update uses the optimizer moments the actor kept
            assert_same_metrics(learned(remote.train_one()), learned(local.train_one()))
            assert_same_weights(remote, local)
        assert not all(initial[k].equal(v) for k, v in remote.agent.state_dict()["tensors"].items())
        remote.save()
        shutil.copytree(tmp_path / "remote", tmp_path / "resumed")
        third = learned(remote.train_one())
    finally:
        local.close()
        remote.close()
    assert_process_ends(pid)

    resumed = trainer(tmp_path / "resumed", *ON_RAY)
    try:
        resumed.resume(tmp_path / "resumed")
        again = learned(resumed.train_one())
    finally:
        resumed.close()
    assert json.dumps(again, sort_keys=True) == json.dumps(third, sort_keys=True)
    assert_same_weights(resumed, remote)
