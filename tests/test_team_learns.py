"""A CPU-trainable team learns: on collaborative math with listed candidates, the solver and the
verifier (each its own arithmetic tiny policy and optimiser, Dr. MAS advantages) raise held-out team
success by at least 20 points over their untrained selves in 10 updates (deterministic per seed;
the full 40-update run is in docs/benchmarks.md)."""

from __future__ import annotations

import torch

from training.config import load_config
from training.team_trainer import TeamTrainer


def test_the_tiny_collab_math_team_gains_twenty_points_of_held_out_success_in_ten_updates(tmp_path):
    torch.set_num_threads(1)
    config = load_config("team_collab_math_tiny", [f"train.output_dir={tmp_path}", "train.eval_episodes=100",
                                                   "log.tensorboard=false", "log.progress_bar=false"])
    trainer = TeamTrainer(config)
    before = trainer.evaluate().success.mean
    history = [trainer.train_one() for _ in range(10)]
    after = trainer.evaluate().success.mean
    print(f"held-out team success: {before:.3f} untrained -> {after:.3f} after 10 updates")
    assert after - before >= 0.2
    for role in ("solver", "verifier"):  # both learners updated, each on its own role's rows
        assert all(m[f"role/{role}/calls"] > 0 and m[f"role/{role}/grad_norm"] > 0 for m in history)
