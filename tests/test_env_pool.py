"""envs.EnvPool: envs reused across rollouts play exactly what fresh ones would, and are closed."""

from __future__ import annotations

from dataclasses import asdict

import pytest

import envs
from agents.agent import Agent
from agents.backends.base import SamplingConfig
from agents.tiny import TinyAgent
from tests.toy_envs import CountdownEnv
from training.rollout import RolloutConfig, Task, rollout

closed: list[int] = []


class ClosingCountdown(CountdownEnv):
    def close(self):
        closed.append(id(self))
        super().close()


envs.register("TestPoolCountdown-v0", ClosingCountdown, family="test")
COUNTDOWN = "agora/TestPoolCountdown-v0"


def play_batches(env_id: str, batches: list[list[Task]], pool, env_kwargs=None, max_turns: int = 6) -> list[dict]:
    """Rows of consecutive rollouts (a trainer's updates); ``max_turns`` cuts episodes short, so a
    reused env is reset from the middle of an episode."""
    agent = TinyAgent(seed=3)
    rows = []
    for u, tasks in enumerate(batches):
        config = RolloutConfig(group_size=2, max_turns=max_turns, sampling=SamplingConfig(seed=100 + u))
        rows += [asdict(r) for r in rollout(env_id, agent, tasks, config, episode_prefix=f"u{u}.", env_kwargs=env_kwargs, env_pool=pool)]
    return rows


def test_reused_household_envs_give_the_records_of_fresh_ones():
    batches = [[Task(seed=s) for s in seeds] for seeds in ([1, 2, 3], [4, 5, 6], [2, 9, 1])]
    pool = envs.EnvPool()
    try:
        reused = play_batches("agora/Household-v0", batches, pool)
        assert len(pool) == 6  # 3 tasks x 2 copies, made once and lent three times
    finally:
        pool.close()
    assert reused == play_batches("agora/Household-v0", batches, None)


def test_reused_textworld_envs_give_the_records_of_fresh_ones():
    pytest.importorskip("textworld")
    kwargs = {"challenge": "coin_collector", "settings": {"level": 5}, "n_games": 3}
    # the same game twice in a row (no reload), then other games
    batches = [[Task(seed=0, options={"index": 0})], [Task(seed=0, options={"index": 0})], [Task(seed=1, options={"index": 2})]]
    pool = envs.EnvPool()
    try:
        lent = pool.take("agora/TextWorld-v0", 2, kwargs)
        pool.give_back("agora/TextWorld-v0", kwargs, lent)
        reused = play_batches("agora/TextWorld-v0", batches, pool, kwargs, max_turns=8)
        assert sorted(map(id, pool._idle[pool.key("agora/TextWorld-v0", kwargs)])) == sorted(map(id, lent))
    finally:
        pool.close()
    assert reused == play_batches("agora/TextWorld-v0", batches, None, kwargs, max_turns=8)


def test_the_pool_keys_envs_by_id_and_kwargs_and_closes_idle_ones():
    pool = envs.EnvPool()
    a = pool.take(COUNTDOWN, 2, {})
    pool.give_back(COUNTDOWN, {}, a)
    assert pool.take(COUNTDOWN, 1, {"render_mode": None}) != a[:1]  # other kwargs: a new env
    again = pool.take(COUNTDOWN, 3, {})
    assert set(map(id, a)) < set(map(id, again))  # the idle two, plus one new
    pool.give_back(COUNTDOWN, {}, again)
    closed.clear()
    pool.close()
    assert sorted(closed) == sorted(id(e.unwrapped) for e in again) and len(pool) == 0


class Exploding(Agent):
    def act(self, decisions, sampling=None):
        raise RuntimeError("the policy broke")


def test_envs_an_error_interrupted_are_closed_not_lent_again():
    pool = envs.EnvPool()
    closed.clear()
    with pytest.raises(RuntimeError, match="the policy broke"):
        rollout(COUNTDOWN, Exploding(), [Task(seed=1)], RolloutConfig(group_size=2), env_pool=pool)
    assert len(pool) == 0 and len(closed) == 2


def test_the_trainer_lends_the_same_envs_every_update_and_closes_them_at_the_end(tmp_path):
    from training.agent_factory import build_trainable
    from training.config import load_config
    from training.trainer import Trainer

    config = load_config(None, [
        f"env={COUNTDOWN}", "rollout.tasks_per_batch=2", "rollout.group_size=2", "train.updates=3", "train.eval_every=0",
        "train.eval_episodes=2", "train.eval_split=train", "train.checkpoint_every=0", "log.progress_bar=false",
        "log.tensorboard=false", f"train.output_dir={tmp_path}",
    ])
    trainer = Trainer(config, build_trainable(config))
    trainer.train_one()
    def idle():
        return sorted(id(e.unwrapped) for e in trainer.env_pool._idle[trainer.env_pool.key(COUNTDOWN, {})])

    first = idle()
    trainer.train_one()
    assert idle() == first and len(first) == 4
    closed.clear()
    trainer.run()  # the last update, the final evaluation (its own envs), then the pool is emptied
    assert len(trainer.env_pool) == 0 and set(first) <= set(closed)
