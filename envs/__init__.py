"""agora environments: the text-env contract, one registry, and a group runner.

    import envs
    env = envs.make("agora/InventoryText-v0")
    obs, info = env.reset(seed=0)
"""

from envs.core import MultiAgentTextEnv, MultiStepOutcome, StepOutcome, TextEnv, quote_action, text_space
from envs.group import EnvPool, GroupRunner, GroupStep
from envs.registry import EnvSpec, list_envs, load_plugins, make, register, spec

__all__ = [
    "EnvPool",
    "EnvSpec",
    "GroupRunner",
    "GroupStep",
    "MultiAgentTextEnv",
    "MultiStepOutcome",
    "StepOutcome",
    "TextEnv",
    "list_envs",
    "load_plugins",
    "make",
    "quote_action",
    "register",
    "spec",
    "text_space",
]

# Like gymnasium, make every registered id available on import: agora's own families first
# (now that the registry they register into is fully built), then third-party plugins.
import envs.builtin  # noqa: E402,F401

load_plugins()
