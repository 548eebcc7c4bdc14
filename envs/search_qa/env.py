"""Multi-hop search QA: a verifier, a searcher and an answerer answer a question about a generated world.

    env = envs.make("agora/SearchQA-v0", hops=3)
    observations, infos = env.reset(seed=0, options={"split": "test", "index": 7})

Each episode has its own world of fictional facts (``world``), one document per fact, searched
with BM25 (``search``). Turns (one agent per step, the others reply ``wait``; see
:mod:`envs.turns`) follow verifier -> searcher -> verifier ... -> answerer:

- the verifier reads the question and the documents found so far and replies ``sufficient``
  (the answerer answers next) or ``insufficient`` (the searcher searches next);
- the searcher replies ``search: <query>``; the best ``top_k`` (default 3) matching documents
  join the shared notes every agent sees;
- the answerer replies ``answer: <name>`` and the game ends. After ``max_loops`` searches the
  answerer answers next whatever the verifier says.

Reward: the shared team reward is 1 when the answer matches the true one exactly after
normalisation (case, punctuation and articles ignored, as in SQuAD-style exact match), else 0;
the acting agent's invalid action costs it ``invalid_penalty``. A game is truncated after
``3 * max_loops + 3`` turns, since invalid actions waste turns.

Options: ``split`` ("train" or "test"), ``hops`` (2, 3, 4, or None to draw one per task;
default None), ``max_loops`` (default 6), ``top_k`` and ``invalid_penalty`` (default 0.1);
``reset(options=)`` takes ``split``, ``hops`` and ``index``; other keys are ignored.

The scripted expert team knows the chain of facts: the verifier says ``sufficient`` once every
fact of the chain has been found, the searcher asks for the first missing fact (the relation and
the subject, or the fact's own words when BM25 would not rank it in the top k), the answerer
names the end of the chain.
"""

from __future__ import annotations

import re

from envs.turns import WAIT, TurnTakingEnv
from envs.core import quote_action
from envs.search_qa.search import TOP_K, DocumentSearch
from envs.search_qa.world import SPLIT_SIZES, Fact, Question, World, check_hops, check_split, make_task, normalise_answer

VERIFIER, SEARCHER, ANSWERER = "verifier", "searcher", "answerer"
_COMMAND = re.compile(r"\s*(search|answer)\b\s*[:=]?\s*(.*?)\s*", re.IGNORECASE | re.DOTALL)
_VERDICT = re.compile(r"\s*(sufficient|insufficient|not sufficient)\b[\s.!]*(.*)", re.IGNORECASE | re.DOTALL)


def parse_command(text: str, command: str) -> str | None:
    """The argument of ``command: <argument>`` (e.g. ``search: mentor of X``); None if missing."""
    match = _COMMAND.fullmatch(text)
    if not match or match.group(1).lower() != command or not match.group(2):
        return None
    return match.group(2)


def parse_verdict(text: str) -> bool | None:
    """True for ``sufficient``, False for ``insufficient`` (or ``not sufficient``), else None."""
    match = _VERDICT.match(text)
    if not match:
        return None
    return match.group(1).lower() == "sufficient"


class SearchQAEnv(TurnTakingEnv):
    metadata = {**TurnTakingEnv.metadata, "name": "agora_search_qa_v0"}
    orchestration = "router"  # the verifier routes to the searcher or the answerer (agents.team_config)

    def __init__(self, split: str = "train", hops: int | None = None, max_loops: int = 6, top_k: int = TOP_K,
                 invalid_penalty: float = 0.1, render_mode: str | None = None):
        check_split(split)
        check_hops(hops)
        for name, value in (("max_loops", max_loops), ("top_k", top_k)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        super().__init__([VERIFIER, SEARCHER, ANSWERER], max_turns=3 * max_loops + 3,
                         invalid_penalty=invalid_penalty, render_mode=render_mode)
        self.split, self.hops, self.max_loops, self.top_k = split, hops, max_loops, top_k
        self.world: World | None = None
        self.question: Question | None = None
        self.engine: DocumentSearch | None = None
        self.found: list[int] = []  # document indices in the order they were first found
        self.searches = 0
        self.answer: str | None = None

    def _reset(self, options: dict) -> dict[str, str]:
        split = options.get("split", self.split)
        check_split(split)
        index = options.get("index")
        if index is None:
            index = int(self.np_random.integers(SPLIT_SIZES[split]))
        self.world, self.question = make_task(split, index, options.get("hops", self.hops))
        self.engine = DocumentSearch(self.world.documents, self.top_k)
        self.found, self.searches, self.answer = [], 0, None
        self._start_turns(VERIFIER)
        return {a: self._observe(a, "") for a in self.agents}

    # --- the game ----------------------------------------------------------------------
    def _play(self, agent: str, action: str) -> tuple[bool, str]:
        if agent == VERIFIER:
            verdict = parse_verdict(action)
            if verdict is None:
                return False, f"Invalid action: {quote_action(action)}. Reply 'sufficient' or 'insufficient'."
            self.acting = ANSWERER if verdict else SEARCHER
            return True, f"You said the notes are {'' if verdict else 'in'}sufficient."
        if agent == SEARCHER:
            query = parse_command(action, "search")
            if query is None:
                return False, f"Invalid action: {quote_action(action)}. Reply 'search: <query>'."
            hits = self.engine.search(query)
            self.found += [i for i in hits if i not in self.found]
            self.searches += 1
            self.acting = ANSWERER if self.searches >= self.max_loops else VERIFIER
            return True, f"You searched for {quote_action(query)}: {len(hits)} document(s) found."
        answer = parse_command(action, "answer")
        if answer is None:
            return False, f"Invalid action: {quote_action(action)}. Reply 'answer: <name>'."
        self.answer, self.over = answer, True
        return True, f"You answered {quote_action(answer)}."

    def team_reward(self) -> float:
        return float(self.answer is not None and normalise_answer(self.answer) == normalise_answer(self.question.answer))

    # --- what each agent sees ---------------------------------------------------------
    def task_for(self, agent: str) -> str:
        roles = {
            VERIFIER: "You are the verifier. Read the notes and reply 'sufficient' if they answer the question, "
                      "or 'insufficient' if more search is needed.",
            SEARCHER: "You are the searcher. Reply 'search: <query>' to find documents that help answer the question.",
            ANSWERER: "You are the answerer. Reply 'answer: <name>' with the answer to the question.",
        }
        return f"{roles[agent]} Question: {self.question.text} Reply 'wait' when it is not your turn."

    def _observe(self, agent: str, note: str) -> str:
        lines = [note] if note else []
        lines.append(f"Question: {self.question.text}")
        notes = [f"- {self.world.documents[i]}" for i in self.found]
        lines.append("Notes from search:\n" + "\n".join(notes) if notes else "Notes from search: none yet.")
        lines.append(f"Searches used: {self.searches} of {self.max_loops}.")
        if self.over:
            verdict = "right" if self.team_reward() else f"wrong; the answer was {self.question.answer}"
            given = "no answer" if self.answer is None else quote_action(self.answer)
            lines.append(f"The game is over. The team's answer, {given}, is {verdict}.")
        elif agent == self.acting:
            lines.append({VERIFIER: "Your turn: reply 'sufficient' or 'insufficient'.",
                          SEARCHER: "Your turn: reply 'search: <query>'.",
                          ANSWERER: "Your turn: reply 'answer: <name>'."}[agent])
        else:
            lines.append(f"It is the {self.acting}'s turn; reply '{WAIT}'.")
        return "\n".join(lines)

    def acting_admissible(self) -> list[str]:
        return ["sufficient", "insufficient"] if self.acting == VERIFIER else []

    # --- the scripted expert team ---------------------------------------------------------
    def _missing(self) -> list[Fact]:
        found = {self.world.facts[i] for i in self.found}
        return [f for f in self.question.chain if f not in found]

    def expert_action(self) -> str:
        if self.acting == VERIFIER:
            return "insufficient" if self._missing() else "sufficient"
        if self.acting == ANSWERER:
            return f"answer: {self.question.answer}"
        fact = self._missing()[0]
        query = f"{fact.relation.name} of {fact.subject}"
        if self.world.facts.index(fact) not in self.engine.search(query):
            query = fact.text.replace(fact.object, "").strip(" .")  # the fact's own words, bar the answer
        return f"search: {query}"
