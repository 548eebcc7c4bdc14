"""Env pools on Ray actors (training/ray_pool.py): the same records as in process, and faults
(a killed actor, a hung step, a killed ScienceWorld JVM) that never leave a partial group.

One local Ray serves the module and is shut down at its end; no Ray process may outlive it."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict

import psutil
import pytest

import envs
from agents.agent import Agent
from agents.backends.base import Generation
from agents.scripted import ExpertAgent
from training.agent_factory import build_trainable
from training.config import load_config, training_rollout
from training.ray_pool import RayEnvPool
from training.rollout import RolloutConfig, Task, rollout
from training.trainer import Trainer

from tests.ray_helpers import ROOT, local_ray_session, ray_processes  # agora[ray]: `make test` installs Ray

envs.register("TestRayHangingCountdown-v0", "tests.ray_faulty_envs:HangingCountdown", family="test")
HANGING = "agora/TestRayHangingCountdown-v0"
SMALL = [
    "env=agora/LostSalesText-v0", "env_kwargs.periods=6", "rollout.tasks_per_batch=4", "rollout.group_size=2",
    "train.updates=3", "train.checkpoint_every=1", "log.progress_bar=false", "log.tensorboard=false",
    "ray.enabled=true", "ray.env_actors=2", "ray.cpus_per_env_actor=0.5",
]


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    yield from local_ray_session()


def small_config(*overrides, tmp_path=None):
    extra = [f"train.output_dir={tmp_path}"] if tmp_path is not None else []
    return load_config(None, [*SMALL, *overrides, *extra])


class KillsAtTurn(Agent):
    """Acts with ``act`` (an agent's), and calls ``kill()`` once, before deciding turn ``turn``."""

    def __init__(self, act, turn, kill):
        self.inner_act, self.turn, self.kill, self.killed = act, turn, kill, False

    def act(self, decisions, sampling=None):
        if not self.killed and decisions[0].turn == self.turn:
            self.killed = True
            self.kill()
        return self.inner_act(decisions, sampling)


class LooksAround(Agent):
    """Always "look around": deterministic, and no gold path to generate (each costs JVM starts)."""

    def act(self, decisions, sampling=None):
        return [Generation("look around", [1], [2], [-0.5], "stop") for _ in decisions]


def kill_actor(pool, index):
    def kill():
        os.kill(pool.actor_pids()[index], signal.SIGKILL)
    return kill


def rows(records):
    return [r.to_dict() for r in records]


def groups(records):
    episodes = defaultdict(set)
    for r in records:
        episodes[r.group_id].add(r.episode_id)
    return episodes


def assert_whole_groups(records, group_size):
    """Every group has all its members, and every episode its last row (done)."""
    for group, members in groups(records).items():
        assert len(members) == group_size, f"group {group} is partial: {sorted(members)}"
    last = {}
    for r in records:
        last[r.episode_id] = r
    assert all(r.done for r in last.values())


def test_ray_path_gives_the_same_records_as_in_process():
    config = small_config()
    agent = build_trainable(config)
    tasks = [Task(seed=s) for s in (11, 12, 13)]  # 3 groups on 2 actors: 2 + 1
    settings = training_rollout(config, seed=7)
    local = rollout(config.env, agent, tasks, settings, env_kwargs=config.env_kwargs)
    pool = RayEnvPool(config.env, config.env_kwargs, config.ray)
    try:
        remote = rollout(config.env, agent, tasks, settings, env_kwargs=config.env_kwargs, env_pool=pool)
        again = rollout(config.env, agent, tasks, settings, env_kwargs=config.env_kwargs, env_pool=pool)  # envs reused
        assert pool.take_faults().metrics() == dict.fromkeys(pool.take_faults().metrics(), 0.0)
    finally:
        pool.close()
    assert len(local) == 3 * 2 * 6
    assert rows(remote) == rows(local)
    assert rows(again) == rows(local)


def test_a_killed_env_actor_drops_its_groups_whole_and_the_update_completes(tmp_path):
    trainer = Trainer(small_config("ray.episode_reruns=0", tmp_path=tmp_path), build_trainable(small_config()))
    try:
        collected = []
        collect = trainer.collect
        trainer.collect = lambda k: collected.append(collect(k)) or collected[-1]
        trainer.agent.act = KillsAtTurn(trainer.agent.act, 2, kill_actor(trainer.env_pool, 0)).act
        metrics = trainer.train_one()
    finally:
        trainer.close()
    # Actor 0 held tasks 0 and 1 (both still playing at turn 2): 2 groups x 2 copies lost.
    assert metrics["faults/actor_restarts"] == 1
    assert metrics["faults/groups_dropped"] == 2 and metrics["faults/episodes_lost"] == 4
    records = collected[0]
    assert sorted(groups(records)) == ["u0.2", "u0.3"]
    assert_whole_groups(records, 2)
    assert trainer.update == 1 and metrics["loss/grad_norm"] > 0


def test_episodes_of_a_killed_actor_are_rerun_to_the_same_records():
    config = small_config("ray.episode_reruns=1")
    agent = build_trainable(config)
    tasks = [Task(seed=s) for s in (21, 22, 23, 24)]
    settings = training_rollout(config, seed=3)
    local = rollout(config.env, agent, tasks, settings, env_kwargs=config.env_kwargs)
    pool = RayEnvPool(config.env, config.env_kwargs, config.ray)
    try:
        killer = KillsAtTurn(agent.act, 3, kill_actor(pool, 1))
        remote = rollout(config.env, killer, tasks, settings, env_kwargs=config.env_kwargs, env_pool=pool)
        faults = pool.take_faults()
    finally:
        pool.close()
    assert killer.killed and faults.actor_restarts == 1
    assert faults.episodes_rerun == 4 and faults.episodes_lost == 0  # actor 1's 2 groups, replayed
    assert rows(remote) == rows(local)


def test_a_hung_step_past_its_timeout_drops_the_group_and_keeps_its_neighbours():
    # Task 2 (seed 3) hangs at turn 2 every time it is played; it shares actor 1 with task 3.
    kwargs = {"hang_seed": 3, "hang_turn": 2}
    tasks = [Task(seed=s) for s in (1, 2, 3, 4)]
    settings = RolloutConfig(group_size=2)
    config = load_config(None, ["ray.enabled=true", "ray.step_timeout_s=2", "ray.episode_reruns=1", "ray.cpus_per_env_actor=0.5"])
    pool = RayEnvPool(HANGING, kwargs, config.ray)
    try:
        start = time.monotonic()
        remote = rollout(HANGING, ExpertAgent(), tasks, settings, env_kwargs=kwargs, env_pool=pool)
        took = time.monotonic() - start
        faults = pool.take_faults()
    finally:
        pool.close()
    # The step hung (restart 1), its replay hung again (restart 2): the group is dropped; task 3's
    # envs died with the actor both times and were replayed without blame.
    assert faults.actor_restarts == 2 and faults.groups_dropped == 1 and faults.episodes_lost == 2
    assert sorted(groups(remote)) == ["0", "1", "3"]
    assert_whole_groups(remote, 2)
    survivors = [t if i != 2 else Task(seed=99) for i, t in enumerate(tasks)]
    local = rollout(HANGING, ExpertAgent(), survivors, settings, env_kwargs=kwargs)
    assert rows(remote) == [r for r in rows(local) if r["group_id"] != "2"]
    assert took < 60  # two timeouts of 2 s and restarts, never the 600 s hang


def test_the_ray_section_is_documented_and_checked():
    from training.config import ConfigError, RayConfig
    from training.config_help import describe

    table = describe()
    for key, field in RayConfig.model_fields.items():
        assert f"ray.{key}:" in table and field.description in table
    with pytest.raises(ConfigError, match="'ray.env_actors' does not apply with ray.enabled=False"):
        load_config(None, ["ray.env_actors=3"])
    assert load_config(None, ["ray.address=auto", "ray.env_actors=3"]).ray.active  # an address turns Ray on
    with pytest.raises(ConfigError, match="ray.step_timeout_s"):
        load_config(None, ["ray.enabled=true", "ray.step_timeout_s=0"])
    with pytest.raises(ConfigError, match="'ray.engine_actor' does not apply with policy.backend='tiny'"):
        load_config(None, ["ray.enabled=true", "ray.engine_actor=true"])  # the tiny policy samples in process
    with pytest.raises(ConfigError, match="'ray.learner_gpus' does not apply with ray.learner_actor=False"):
        load_config(None, ["ray.enabled=true", "ray.learner_gpus=1"])
    both = load_config(None, ["ray.enabled=true", "policy.backend=hf", "ray.engine_actor=true", "ray.learner_actor=true"])
    assert both.ray.local_cpus() == 4  # 2 env actors x 1 + the engine's 1 + the learner's 1


def test_past_the_rollout_timeout_the_groups_still_playing_are_dropped(monkeypatch):
    from training import ray_pool

    now = [0.0]
    monkeypatch.setattr(ray_pool, "clock", lambda: now[0])

    class OneSecondPerTurn(Agent):
        def act(self, decisions, sampling=None):
            now[0] += 1.0
            return ExpertAgent().act(decisions, sampling)

    # The expert counts down from 3 (seed 1) in 3 turns and from 4 (seed 4) in 4; the budget ends after turn 2.
    config = load_config(None, ["ray.enabled=true", "ray.rollout_timeout_s=3.5", "ray.cpus_per_env_actor=0.5"])
    pool = RayEnvPool(HANGING, {}, config.ray)
    try:
        records = rollout(HANGING, OneSecondPerTurn(), [Task(seed=1), Task(seed=4)], RolloutConfig(group_size=2), env_pool=pool)
        faults = pool.take_faults()
    finally:
        pool.close()
    assert sorted(groups(records)) == ["0"] and faults.groups_dropped == 1 and faults.episodes_lost == 2
    assert faults.actor_restarts == 0
    assert_whole_groups(records, 2)


def test_actors_that_cannot_be_placed_are_a_clear_error(monkeypatch):
    from training import ray_pool

    monkeypatch.setattr(ray_pool, "STARTUP_TIMEOUT_S", 3.0)
    config = load_config(None, ["ray.enabled=true", "ray.env_actors=3", "ray.cpus_per_env_actor=1"])  # Ray here has 2
    with pytest.raises(ray_pool.EnvActorsFailed, match="3 x 1 free CPUs"):
        RayEnvPool(HANGING, {}, config.ray)


def test_restarts_stop_at_max_restarts_with_a_clear_error():
    from training.ray_pool import EnvActorsFailed

    kwargs = {"hang_seed": 1, "hang_turn": 0}
    config = load_config(None, ["ray.enabled=true", "ray.step_timeout_s=1", "ray.max_restarts=1", "ray.env_actors=1",
                                "ray.cpus_per_env_actor=0.5"])
    pool = RayEnvPool(HANGING, kwargs, config.ray)
    try:
        with pytest.raises(EnvActorsFailed, match="ray.max_restarts"):
            rollout(HANGING, ExpertAgent(), [Task(seed=1)], RolloutConfig(), env_kwargs=kwargs, env_pool=pool)
    finally:
        pool.close()


@pytest.mark.slow
def test_a_killed_scienceworld_jvm_is_replaced_and_its_episode_rerun():
    env_id, kwargs = "agora/ScienceWorld-v0", {"tasks": "find-plant", "max_steps": 4}
    config = load_config(None, ["ray.enabled=true", "ray.env_actors=1", "ray.cpus_per_env_actor=0.5"])
    pool = RayEnvPool(env_id, kwargs, config.ray)

    def kill_a_jvm():
        (actor_pid,) = pool.actor_pids()
        java = sorted(p.pid for p in psutil.Process(actor_pid).children(recursive=True) if "java" in p.name())
        assert len(java) == 2  # one JVM per env
        os.kill(java[0], signal.SIGKILL)

    try:
        killer = KillsAtTurn(LooksAround().act, 2, kill_a_jvm)
        records = rollout(env_id, killer, [Task(seed=5)], RolloutConfig(group_size=2), env_kwargs=kwargs, env_pool=pool)
        faults = pool.take_faults()
    finally:
        pool.close()
    assert killer.killed
    assert faults.env_restarts == 1 and faults.episodes_rerun == 1 and faults.episodes_lost == 0
    assert faults.actor_restarts == 0
    assert not any("engine_error" in r.info for r in records)
    assert_whole_groups(records, 2)
    copies = defaultdict(list)
    for r in records:
        copies[r.episode_id].append((r.obs, r.action, r.reward))
    first, second = copies.values()
    assert first == second  # the re-run copy played exactly what its twin did


def test_a_checkpoint_after_a_fault_resumes_exactly(tmp_path):
    straight_dir, resumed_dir = tmp_path / "straight", tmp_path / "resumed"
    config = small_config("ray.episode_reruns=0", tmp_path=straight_dir)
    straight = Trainer(config, build_trainable(config))
    try:
        straight.agent.act = KillsAtTurn(straight.agent.act, 1, kill_actor(straight.env_pool, 1)).act
        first = straight.train_one()
        straight.save()
        shutil.copytree(straight_dir, resumed_dir)
        second = straight.train_one()
    finally:
        straight.close()
    assert first["faults/episodes_lost"] == 4 and second["faults/episodes_lost"] == 0

    config = small_config(tmp_path=resumed_dir)
    resumed = Trainer(config, build_trainable(config), output_dir=resumed_dir)
    try:
        resumed.resume(resumed_dir)
        again = resumed.train_one()
    finally:
        resumed.close()
    def logged(metrics):  # as metrics.jsonl holds them (NaN == NaN there), timings aside
        return json.dumps({k: v for k, v in metrics.items() if not k.startswith("perf/")}, sort_keys=True)

    assert logged(again) == logged(second)
    weights = straight.agent.state_dict()["tensors"]
    assert all(resumed.agent.state_dict()["tensors"][k].equal(v) for k, v in weights.items())


@pytest.mark.slow
def test_agora_train_on_ray_ends_every_process_it_started(tmp_path):
    """The CLI starts its own local Ray (the module's is not visible to a subprocess) and ends it."""
    out = tmp_path / "run"
    before = {p.pid for p in ray_processes(psutil.process_iter())}
    args = [a for a in SMALL if not a.startswith("train.updates")]
    run = subprocess.run(
        [sys.executable, "-m", "training.cli", "train", *args, "train.updates=1", "train.eval_episodes=2",
         f"train.output_dir={out}"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert '"faults/actor_restarts": 0.0' in (out / "metrics.jsonl").read_text()
    deadline = time.time() + 20
    while [p for p in ray_processes(psutil.process_iter()) if p.pid not in before] and time.time() < deadline:
        time.sleep(0.2)
    assert not [p.name() for p in ray_processes(psutil.process_iter()) if p.pid not in before]
