"""Search queries derived from an instruction alone (the ``query_candidates`` option).

WebShop's RL/IL baselines offer a choice policy a few searches instead of free text. These use
the instruction only, never the hidden goal: the instruction without its price clause; also
without its option clause ("with color: black, and size: large"); also without its opening
words ("i am looking for").
"""

from __future__ import annotations

import functools
import re

from envs.shop.vocabulary import INSTRUCTION_OPENERS, OPTION_POOLS

PRICE_CLAUSE = ", and price lower than"
_OPTION_CLAUSE = re.compile(r" with (?:" + "|".join(re.escape(g) for g in OPTION_POOLS) + r"): ")
_OPENER = re.compile(r"^(?:" + "|".join(re.escape(o) for o in sorted(INSTRUCTION_OPENERS, key=len, reverse=True)) + r")\s+")


@functools.lru_cache(maxsize=1 << 14)
def query_candidates(instruction: str) -> tuple[str, ...]:
    text = instruction.lower().split(PRICE_CLAUSE)[0].strip()
    match = _OPTION_CLAUSE.search(text)
    without_options = text[: match.start()] if match else text
    without_opener = _OPENER.sub("", without_options)
    return tuple(dict.fromkeys(q for q in (text, without_options, without_opener) if q))
