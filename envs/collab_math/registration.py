"""Registers the collaborative-math id. The entry point is a string, so nothing here imports the env."""

from envs.registry import register

SPLITS = ("train", "test")  # == problems.SPLITS (tested)


def register_collab_math_envs() -> None:
    register("CollabMath-v0", "envs.collab_math.env:CollabMathEnv", kind="multi", family="collab_math",
             engine="native", interface="text", splits=SPLITS,
             description="solver and verifier on generated multi-step arithmetic word problems; "
                         "kwargs split, difficulty (1-5), max_loops, candidates, invalid_penalty")
