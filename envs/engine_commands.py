"""What a text-game engine behind agora (ScienceWorld, TextWorld) is never sent.

Those engines read short plain-ASCII commands, and py4j (ScienceWorld's bridge to its JVM) cannot
even send a lone surrogate, so such input is refused before it reaches them, with an explanation.
"""

from __future__ import annotations

import string

from envs.core import quote_action

MAX_COMMAND_CHARS = 500  # far above any engine command; longer input is refused unsent
_ACCEPTED_CHARS = frozenset(string.ascii_letters + string.digits + string.punctuation + " ")


def refuse_command(command: str, engine: str) -> str:
    """Why a (stripped) command is refused before it reaches ``engine``, or ''."""
    if not command:
        return "(The action was empty.)"
    if len(command) > MAX_COMMAND_CHARS:
        return f"(The action is {len(command)} characters long; at most {MAX_COMMAND_CHARS} are read.)"
    if not _ACCEPTED_CHARS.issuperset(command):
        return f"{engine} reads plain ASCII commands; got {quote_action(command)}."
    return ""
