"""Text to token ids for the tiny policy: hashed words and word pairs, nothing to fit.

A text becomes its lower-cased words (runs of letters, runs of digits, so "cabinet 12" is
``cabinet``, ``12``) and its adjacent word pairs ("cabinet 12" as one token), each hashed with
``zlib.crc32`` — stable across processes and machines, unlike ``hash()``. An action also gets
one token for the whole string, so "did I already do exactly this?" is a lookup.

An id carries its kind in its high bits (``id = RESERVED + (kind << HASH_BITS) + crc``), so the
model can tell words, pairs and whole actions apart from the ids alone. The model folds the
ids into its embedding table with a modulo; exact matching (task/observation overlap) uses the
full ids, where collisions are negligible.

A decision's context is laid out as segments, each opened by a marker id::

    [TURN_k] [TASK] task... [OBS] observation... [MEM_OBS] recent observations...
    [MEM_ACT] remembered actions... [LAST_ACT] last action...

Remembered observations are the last ``obs_k`` ones, each distinct token once (they repeat a
lot, and the model pools them as a bag). Remembered actions are the last ``act_k`` ones: their
distinct words and pairs once, then one whole-action id per action, repeats kept, so the model
can count how often it already took exactly this action; then the distinct verbs they used ("heat",
"move"), so what was already done stands out from where it was done.

Besides the context, each candidate gets one number from the memory (:func:`outcome_matches`): how
many of the task's words the observation that followed its last use showed ("go to shelf 2" led to
"... you see a box 2, a box 1" for "put two box in armchair"), so the policy can go back to where it
saw what the task needs. Only the task's content words count: the observations' own phrasing
("On the drawer 1, you see a ...", "In it, ...") would otherwise match "on", "a" and "in" of
"put some spraybottle on drawer" after every visit, and a place that showed nothing of the task
would look like one that did.
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache
from itertools import chain

PAD = 0
TASK, OBS, MEM_OBS, MEM_ACT, LAST_ACT = 1, 2, 3, 4, 5
SEGMENTS = ("task", "obs", "mem_obs", "mem_act", "last_act")  # segment s has marker id s + 1
TURN_BASE, TURN_BUCKETS = 6, 10
RESERVED = 16  # ids below this are markers, turn buckets and padding
HASH_BITS = 22
WORD, PAIR, ACTION, VERB = 0, 1, 2, 3

_WORDS = re.compile(r"[a-z]+|[0-9]+")
# Words of task phrasing that observations also use for their own phrasing; not evidence of the task.
FUNCTION_WORDS = frozenset(
    "a an and at examine find in is it look of on put some the them then to two under with you see".split()
)


def hashed_id(kind: int, text: str) -> int:
    return RESERVED + (kind << HASH_BITS) + (zlib.crc32(text.encode("utf-8")) & ((1 << HASH_BITS) - 1))


def kind_of(token_id: int) -> int | None:
    """WORD, PAIR, ACTION or VERB for a hashed id; None for markers and padding."""
    return None if token_id < RESERVED else (token_id - RESERVED) >> HASH_BITS


def words(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


@lru_cache(maxsize=1 << 16)
def text_ids(text: str, max_words: int) -> tuple[int, ...]:
    """Word ids then word-pair ids of the first ``max_words`` words."""
    ws = words(text)[:max_words]
    return tuple([hashed_id(WORD, w) for w in ws] + [hashed_id(PAIR, f"{a} {b}") for a, b in zip(ws, ws[1:])])


@lru_cache(maxsize=1 << 16)
def action_ids(action: str, max_words: int) -> tuple[int, ...]:
    """An action's text ids plus one id for the whole (word-normalised) action."""
    return text_ids(action, max_words) + (hashed_id(ACTION, action_key(action, max_words)),)


@lru_cache(maxsize=1 << 16)
def verb_id(action: str, max_words: int) -> int:
    """An action's first word (its verb: "heat", "move") as a VERB id; 0 (padding) for an empty action."""
    first = words(action)[:max_words][:1]
    return hashed_id(VERB, first[0]) if first else PAD


def turn_token(turn: int, max_turns: int | None) -> int:
    """Progress through the episode in ten buckets (by fraction when the budget is known)."""
    turn = max(int(turn), 0)
    bucket = turn * TURN_BUCKETS // max_turns if max_turns else turn // 5
    return TURN_BASE + min(bucket, TURN_BUCKETS - 1)


def context_ids(
    task: str,
    observation: str,
    memory: list[tuple[str, str]],
    turn: int,
    max_turns: int | None,
    max_words: int,
    obs_k: int,
    act_k: int | None,
) -> list[int]:
    """``memory`` holds (observation, action) pairs, oldest first; ``act_k=None`` keeps all actions."""
    ids = [turn_token(turn, max_turns), TASK, *text_ids(task, max_words), OBS, *text_ids(observation, max_words)]
    if not memory:
        return ids
    recent = memory[max(len(memory) - obs_k, 0) :] if obs_k > 0 else []
    if recent:
        ids.append(MEM_OBS)
        ids += dict.fromkeys(chain.from_iterable(text_ids(obs, max_words) for obs, _ in recent))
    actions = memory if act_k is None else memory[max(len(memory) - act_k, 0) :] if act_k > 0 else []
    if actions:
        ids.append(MEM_ACT)
        ids += dict.fromkeys(chain.from_iterable(text_ids(action, max_words) for _, action in actions))
        ids += [action_ids(action, max_words)[-1] for _, action in actions]  # whole ids, repeats kept
        ids += [v for v in dict.fromkeys(verb_id(action, max_words) for _, action in actions) if v]  # each once
    return ids + [LAST_ACT, *action_ids(memory[-1][1], max_words)]


def outcome_matches(task: str, observation: str, memory: list[tuple[str, str]], actions: list[str], max_words: int) -> list[int]:
    """Per candidate action: how many distinct task words were in the observation that followed the
    last time that action was taken (0 if it never was). ``memory`` holds (observation, action)
    pairs, oldest first; the current ``observation`` followed the last of them."""
    task_words = word_set(task, max_words) - FUNCTION_WORDS
    after = [obs for obs, _ in memory[1:]] + [observation]
    last_match = {
        action_key(action, max_words): len(task_words & word_set(outcome, max_words))
        for (_, action), outcome in zip(memory, after)
    }
    return [last_match.get(action_key(action, max_words), 0) for action in actions]


@lru_cache(maxsize=1 << 16)
def word_set(text: str, max_words: int) -> frozenset[str]:
    return frozenset(words(text)[:max_words])


@lru_cache(maxsize=1 << 16)
def action_key(action: str, max_words: int) -> str:
    """An action's words, normalised: what counts as "the same action" (also for its whole-action id)."""
    return " ".join(words(action)[:max_words])
