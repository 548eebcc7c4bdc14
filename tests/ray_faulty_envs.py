"""An env that hangs, for the Ray fault tests (tests/test_ray_pool.py): its module path is the
entry point the env actors import."""

import time

from tests.toy_envs import CountdownEnv


class HangingCountdown(CountdownEnv):
    """The countdown, except that episodes reset with ``hang_seed`` hang at turn ``hang_turn``."""

    def __init__(self, hang_seed: int = -1, hang_turn: int = 2, render_mode=None):
        super().__init__(render_mode=render_mode)
        self.hang_seed, self.hang_turn = hang_seed, hang_turn

    def reset(self, *, seed=None, options=None):
        self.seed_played = seed
        return super().reset(seed=seed, options=options)

    def _step(self, action):
        if self.seed_played == self.hang_seed and self.turns == self.hang_turn:
            time.sleep(600)  # far past any step timeout: the actor must be killed
        return super()._step(action)
