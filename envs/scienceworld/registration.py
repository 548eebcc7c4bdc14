"""Registers the ScienceWorld id. The entry point is a string: nothing here imports scienceworld."""

from envs.registry import register

SPLITS = ("train", "dev", "test")  # == envs.scienceworld.tasks.SPLITS (tested)


def register_scienceworld_envs() -> None:
    register(
        "ScienceWorld-v0",
        "envs.scienceworld.env:ScienceWorldEnv",
        family="science",
        engine="scienceworld",
        splits=SPLITS,
        description=(
            "ScienceWorld's 30 tasks (scienceworld 1.2.3, Java) with train/dev/test variations; kwargs tasks, split, "
            "simplifications ('easy'), max_steps, env_step_limit, admissible ('none' lean | 'bounded' | 'all'). "
            "Needs `pip install 'agora[science]'` and Java."
        ),
    )
