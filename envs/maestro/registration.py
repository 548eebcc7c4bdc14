"""Registers the Maestro orchestration id. The entry point is a string, so nothing here imports the env."""

from envs.registry import register


def register_maestro_envs() -> None:
    register("Maestro-v0", "envs.maestro.env:MaestroEnv", family="maestro", engine="native", interface="text",
             splits=("train", "test"), goal_based=False,
             description="call (model, skill) experts from a YAML registry (<call>Model@@Skill: input</call>) and "
                         "<answer>; reward 1[correct] - beta*cost; kwargs registry, task_types, beta, max_calls")
