"""Collaborative math: a solver and a verifier solve a generated word problem together.

    env = envs.make("agora/CollabMath-v0", difficulty=3, max_loops=3)
    observations, infos = env.reset(seed=0, options={"split": "test", "index": 7})

Turns follow the loop solver -> verifier -> solver ... until the verifier approves, at most
``max_loops`` times (see :mod:`envs.turns` for how a ParallelEnv takes turns: the
agent whose turn it is not replies ``wait``; ``infos[agent]["to_act"]`` says who acts).

- The solver replies ``answer: N`` (also accepted: ``the answer is N``, or a bare number).
- The verifier sees the problem and the proposed answer and replies ``approve`` or
  ``reject: <reason>`` (the reason is required; the solver reads it on its next turn).
- The game ends when the verifier approves, or rejects for the ``max_loops``-th time; the last
  proposed answer is the team's final answer. Both agents get the shared team reward, 1 if
  that answer is right and 0 otherwise, on the last step; the acting agent's invalid action
  costs it ``invalid_penalty`` on its step. A game is also cut off (truncated) after
  ``4 * max_loops`` turns, since invalid actions waste turns; its last proposed answer is
  judged then too.

Constructor options: ``split`` ("train" or "test", the default split), ``difficulty`` (1..5,
default 2), ``max_loops`` (default 3), ``invalid_penalty`` (default 0.1) and ``candidates``
(default 0: free-form answers; k >= 2 lists k candidate answers, the right one among plausible
mistakes, as the solver's admissible actions, for a policy that chooses among them). The
verifier's admissible actions are always ``approve`` and one suggested rejection.
``reset(options=)`` takes ``split``, ``difficulty`` and ``index`` (the problem of the split to
play; without it one is drawn from the seed); other keys are ignored, as PettingZoo's API test
passes its own.

The scripted expert team: the solver computes the answer from the problem's sentences; the
verifier recomputes it and approves a right answer, rejects a wrong one.
"""

from __future__ import annotations

import re

from envs.collab_math.problems import SPLIT_SIZES, Problem, candidate_answers, check_difficulty, check_split, make_problem
from envs.turns import WAIT, TurnTakingEnv
from envs.core import quote_action

SOLVER, VERIFIER = "solver", "verifier"
SUGGESTED_REJECTION = "reject: recheck each step of the arithmetic"
_NUMBER = r"(-?\d[\d,]*(?:\.\d+)?)"
_ANSWER = re.compile(rf"answer\s*(?:is|[:=])?\s*{_NUMBER}", re.IGNORECASE)
_BARE = re.compile(rf"\s*{_NUMBER}\s*\.?\s*")
_VERDICT = re.compile(r"\s*(approve|accept|reject)\w*\s*[:,.\-]?\s*(.*)", re.IGNORECASE | re.DOTALL)


def parse_answer(text: str) -> float | None:
    """The number in ``answer: N`` (the last one, if a reply states several), ``the answer is N``
    or a bare ``N``; None if there is none."""
    found = _ANSWER.findall(text) or [m.group(1) for m in [_BARE.fullmatch(text)] if m]
    if not found:
        return None
    try:
        return float(found[-1].replace(",", ""))
    except ValueError:  # e.g. "1,,2" squeezed to a malformed number
        return None


def parse_verdict(text: str) -> tuple[str, str] | None:
    """("approve", "") or ("reject", reason); None when neither, or a rejection without a reason."""
    match = _VERDICT.fullmatch(text)
    if not match:
        return None
    word, reason = match.group(1).lower(), match.group(2).strip()
    if word in ("approve", "accept"):
        return "approve", ""
    return ("reject", reason) if reason else None


def format_answer(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


class CollabMathEnv(TurnTakingEnv):
    metadata = {**TurnTakingEnv.metadata, "name": "agora_collab_math_v0"}
    orchestration = "loop"  # the turn order a team config declares for it (agents.team_config)

    def __init__(self, split: str = "train", difficulty: int = 2, max_loops: int = 3, candidates: int = 0,
                 invalid_penalty: float = 0.1, render_mode: str | None = None):
        check_split(split)
        check_difficulty(difficulty)
        if not isinstance(max_loops, int) or max_loops < 1:
            raise ValueError(f"max_loops must be a positive int, got {max_loops!r}")
        if not isinstance(candidates, int) or candidates == 1 or candidates < 0:
            raise ValueError(f"candidates must be 0 (free-form) or an int >= 2, got {candidates!r}")
        super().__init__([SOLVER, VERIFIER], max_turns=4 * max_loops, invalid_penalty=invalid_penalty,
                         render_mode=render_mode)
        self.split, self.difficulty, self.max_loops, self.candidates = split, difficulty, max_loops, candidates
        self.problem: Problem | None = None
        self.proposed: float | None = None
        self.rejections: list[str] = []
        self.choices: list[str] = []

    def _reset(self, options: dict) -> dict[str, str]:
        split = options.get("split", self.split)
        check_split(split)
        difficulty = options.get("difficulty", self.difficulty)
        index = options.get("index")
        if index is None:
            index = int(self.np_random.integers(SPLIT_SIZES[split]))
        self.problem = make_problem(split, index, difficulty)
        self.proposed, self.rejections = None, []
        self.choices = []
        if self.candidates:
            self.choices = [f"answer: {v}" for v in candidate_answers(self.problem, self.candidates, self.np_random)]
        self._start_turns(SOLVER)
        return {a: self._observe(a, "") for a in self.agents}

    # --- the game ----------------------------------------------------------------------
    def _play(self, agent: str, action: str) -> tuple[bool, str]:
        if agent == SOLVER:
            value = parse_answer(action)
            if value is None:
                return False, f"Invalid action: {quote_action(action)}. Reply 'answer: N' with a number N."
            self.proposed, self.acting = value, VERIFIER
            return True, f"You proposed {format_answer(value)}; the verifier is checking it."
        verdict = parse_verdict(action)
        if verdict is None:
            return False, (f"Invalid action: {quote_action(action)}. Reply 'approve' or 'reject: <reason>' "
                           "(a rejection needs a reason).")
        word, reason = verdict
        if word == "approve":
            self.over = True
            return True, f"You approved {format_answer(self.proposed)}."
        self.rejections.append(reason)
        if len(self.rejections) >= self.max_loops:
            self.over = True
            return True, f"You rejected the answer; that was the last of {self.max_loops} loops."
        self.acting = SOLVER
        return True, "You rejected the answer; the solver will try again."

    def team_reward(self) -> float:
        return float(self.proposed is not None and self.proposed == self.problem.answer)

    # --- what each agent sees ---------------------------------------------------------
    def task_for(self, agent: str) -> str:
        if agent == SOLVER:
            return ("You are the solver. Solve the word problem and reply 'answer: N'. A verifier checks "
                    "your answer and may reject it with a reason; then try again. Reply 'wait' when it is not "
                    "your turn.")
        return ("You are the verifier. Check the solver's answer to the word problem: reply 'approve' if it "
                "is right, or 'reject: <reason>' if it is wrong. Reply 'wait' when it is not your turn.")

    def _observe(self, agent: str, note: str) -> str:
        lines = [note] if note else []
        lines.append(f"Problem: {self.problem.text}")
        if agent == SOLVER and self.rejections:
            lines.append("The verifier rejected your earlier answers: " + "; ".join(map(repr, self.rejections)) + ".")
        if agent == VERIFIER and self.proposed is not None:
            lines.append(f"The solver's answer: {format_answer(self.proposed)}.")
        if self.over:
            final = "no answer" if self.proposed is None else format_answer(self.proposed)
            verdict = "right" if self.team_reward() else "wrong"
            lines.append(f"The game is over. The team's final answer, {final}, is {verdict}.")
        elif agent == self.acting:
            lines.append("Your turn: " + ("reply 'answer: N'." if agent == SOLVER else
                                          "reply 'approve' or 'reject: <reason>'."))
        else:
            lines.append(f"It is the {self.acting}'s turn; reply '{WAIT}'.")
        return "\n".join(lines)

    def acting_admissible(self) -> list[str]:
        return list(self.choices) if self.acting == SOLVER else ["approve", SUGGESTED_REJECTION]

    def expert_action(self) -> str:
        answer = self.problem.answer
        if self.acting == SOLVER:
            return f"answer: {answer}"
        if self.proposed == answer:
            return "approve"
        return f"reject: {format_answer(self.proposed)} is not what the steps give; recheck them"
