"""Registers the HILA deferral id. The entry point is a string, so nothing here imports the env."""

from envs.registry import register


def register_hila_envs() -> None:
    register("HILA-v0", "envs.hila.env:HilaEnv", kind="multi", family="hila", engine="native",
             interface="text", splits=("train", "test"), goal_based=False,
             description="n agents answer a verifiable task (math or multi-hop QA), then each round each picks "
                         "EVAL j / CREATE / DEFER to an expert; cost-aware reward, majority vote; kwargs "
                         "task_types, n_agents, rounds, lambda_defer, lambda_create, solver, expert")
