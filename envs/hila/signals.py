"""The structured-signals block of a HILA meta-policy's prompt (HILA's "metacognitive" cues).

From the agents' latest answers (compared after light normalisation: case, spaces, punctuation),
for agent ``me``:

- ``agreement``: the fraction of my peers whose answer equals mine (1.0: everyone agrees with me);
- ``diversity``: distinct answers / number of agents (1/n: consensus, 1.0: all different);
- ``majority_margin``: (votes of the top answer - votes of the runner-up) / number of agents
  (1.0: unanimous; 0.0: a tie at the top);
- ``in_majority``: whether my answer is the (first-listed) top answer.
"""

from __future__ import annotations

import re
from collections import Counter


def answer_key(answer: str) -> str:
    return " ".join(re.sub(r"[^\w\s.-]", " ", answer.lower()).split())


def majority(answers: list[str]) -> tuple[str, Counter]:
    """The top answer (a tie goes to the lowest-numbered agent's answer) and the vote counts."""
    keys = [answer_key(a) for a in answers]
    votes = Counter(keys)
    top = max(votes.values())
    winner = next(a for a, k in zip(answers, keys) if votes[k] == top)
    return winner, votes


def signals(answers: list[str], me: int) -> dict[str, float]:
    keys = [answer_key(a) for a in answers]
    n = len(keys)
    winner, votes = majority(answers)
    counts = sorted(votes.values(), reverse=True) + [0]
    peers = [k for i, k in enumerate(keys) if i != me]
    return {
        "agreement": sum(k == keys[me] for k in peers) / max(len(peers), 1),
        "diversity": len(votes) / n,
        "majority_margin": (counts[0] - counts[1]) / n,
        "in_majority": float(keys[me] == answer_key(winner)),
    }


def signals_block(answers: list[str], me: int) -> str:
    values = signals(answers, me)
    return ("Signals: " + ", ".join(f"{name}={value:.2f}" for name, value in values.items())
            + " (agreement: share of peers with your answer; diversity: distinct answers / agents; "
              "majority_margin: (top votes - runner-up votes) / agents)")
