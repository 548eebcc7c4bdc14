"""The plugin's env keeps agora's env contract: the same check agora runs on its own envs.

Run it with the package installed (``pip install -e .``), so its entry point registers the id.
"""

from envs.testing import check_env


def test_guess_number_keeps_the_env_contract():
    check_env("example/GuessNumber-v0")
