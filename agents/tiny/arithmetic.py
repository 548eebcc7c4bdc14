"""``ArithmeticAgent``: a tiny policy for word-problem teams that learns what each sentence does to the total.

It plays collaborative math with listed candidates (``envs.make("agora/CollabMath-v0",
candidates=4)``): the solver picks one of the ``answer: N`` candidates, the verifier picks
``approve`` or a rejection. Both read the ``Problem:`` line of their observation.

The network is small and starts knowing no arithmetic. Each sentence of the problem is a bag of
hashed words; a learned embedding of that bag gives a softmax over three operations applied to
the sentence's numbers x (and y, when it has two): ``+x``, ``-x``, ``+x*y`` ("has 5", "finds 5
more", "gives 5 to", "buys 3 boxes with 4 in each"). The policy's estimate of the answer is the
expectation of the sum over sentences, t = sum_s p_s . (x, -x, x*y). What it learns is which
words mean which operation; the operations themselves are given (the inductive bias that makes
this trainable by RL in minutes on a CPU). It covers difficulties 1 and 2 (add, subtract,
groups); later levels multiply and divide the running total, which it cannot express.

- Solver (actions naming a number c): score(c) = -beta * (c - t)^2 / (1 + the candidates' variance).
- Verifier (the observation names the solver's answer a): score(approve) = bias - beta_v * (a - t)^2
  / (1 + |a|); every other action scores 0.

Squared distances, not absolute ones: with |c - t| an estimate below every candidate gets no
gradient at all (every candidate's score moves alike), which stalled learning at the start.

The operation logits start near zero (small random weights) and the betas at 0.2, so the
untrained policy guesses from a blurred estimate (about a third of each number), mostly wrong. Like the tiny policy, the whole choice is one "token":
``response_ids == [index of the chosen action]``, and ``token_scores`` rebuilds the distribution
from what ``act`` stored in the step's info (hashed word ids and numbers), never from text.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from agents.agent import Decision, TokenScores, TrainableAgent
from agents.logprobs import entropy, processed_logprobs
from agents.backends.base import Generation, SamplingConfig

VOCAB = 2048  # hashed word ids (0 is padding)
DIM = 16
OPERATIONS = 3  # +x, -x, +x*y
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_WORD = re.compile(r"[a-z]+")
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
_PROPOSAL = re.compile(r"answer:\s*(-?\d+(?:\.\d+)?)", re.IGNORECASE)


def word_id(word: str) -> int:
    return 1 + zlib.crc32(word.encode()) % (VOCAB - 1)


def problem_sentences(observation: str) -> list[tuple[list[int], list[float]]]:
    """(hashed word ids, numbers) of each sentence of the observation's ``Problem:`` line."""
    line = next((ln for ln in observation.splitlines() if ln.startswith("Problem:")), "")
    out = []
    for sentence in _SENTENCE_END.split(line[len("Problem:"):].strip()):
        words = [word_id(w) for w in _WORD.findall(sentence.lower())] or [0]
        out.append((words, [float(n) for n in _NUMBER.findall(sentence)][:2]))
    return out


def action_number(action: str) -> float | None:
    found = _NUMBER.findall(action)
    return float(found[-1]) if found else None


def proposal(observation: str) -> float | None:
    """The solver's answer the verifier is shown (``The solver's answer: N.``), if any."""
    line = next((ln for ln in observation.splitlines() if ln.startswith("The solver's answer")), "")
    found = _PROPOSAL.search(line) or re.search(r"(-?\d+(?:\.\d+)?)", line)
    return float(found.group(1)) if found else None


class ArithmeticScorer(nn.Module):
    def __init__(self):
        super().__init__()
        self.words = nn.EmbeddingBag(VOCAB, DIM, mode="sum", padding_idx=0)
        nn.init.normal_(self.words.weight, std=0.1)
        self.operation = nn.Linear(DIM, OPERATIONS)
        nn.init.normal_(self.operation.weight, std=0.1)
        nn.init.zeros_(self.operation.bias)
        # Solver and verifier sharpness, softplus(-1.5) ~ 0.2 at first: a sharp start (1) leaves the
        # untrained policy nearly deterministic on its wrong estimate, with almost no gradient.
        self.beta = nn.Parameter(torch.full((2,), -1.5))
        self.approve_bias = nn.Parameter(torch.zeros(()))

    def estimate(self, features: dict) -> torch.Tensor:
        """t: the expected answer of one problem."""
        sentences = features["sentences"]
        if not sentences:
            return torch.zeros(())
        ids = [torch.tensor(words) for words, _ in sentences]
        offsets = torch.tensor([0] + [len(w) for w in ids[:-1]]).cumsum(0)
        probs = torch.softmax(self.operation(self.words(torch.cat(ids), offsets)), dim=-1)
        values = torch.tensor([_operands(numbers) for _, numbers in sentences])
        return (probs * values).sum()

    def forward(self, features: dict) -> torch.Tensor:
        """Scores of one decision's actions."""
        t = self.estimate(features)
        beta = nn.functional.softplus(self.beta)
        numbers, approve = features["numbers"], features["approve"]
        named = [n for n in numbers if n is not None]
        spread = 1.0 + float(torch.tensor(named).var(unbiased=False)) if len(named) > 1 else 1.0
        scores = []
        for number, is_approve in zip(numbers, approve):
            if number is not None:
                scores.append(-beta[0] * (number - t) ** 2 / spread)
            elif is_approve and features["proposal"] is not None:
                a = features["proposal"]
                scores.append(self.approve_bias - beta[1] * (a - t) ** 2 / (1.0 + abs(a)))
            else:
                scores.append(torch.zeros(()))
        return torch.stack(scores)


def _operands(numbers: list[float]) -> tuple[float, float, float]:
    if not numbers:
        return (0.0, 0.0, 0.0)
    x = numbers[0]
    y = numbers[1] if len(numbers) > 1 else 1.0
    return (x, -x, x * y)


def decision_features(decision: Decision) -> dict:
    if not decision.admissible_actions:
        raise ValueError(
            f"the arithmetic policy chooses among listed actions; this {decision.family or 'env'} decision lists none "
            "(collab math lists candidates with candidates=k)"
        )
    return {
        "sentences": problem_sentences(decision.observation),
        "numbers": [action_number(a) for a in decision.admissible_actions],
        "approve": [a.strip().lower().startswith("approve") for a in decision.admissible_actions],
        "proposal": proposal(decision.observation),
    }


class ArithmeticAgent(TrainableAgent):
    def __init__(self, seed: int = 0):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = ArithmeticScorer()
        self.model.eval()

    def __repr__(self) -> str:
        return f"ArithmeticAgent(parameters={sum(p.numel() for p in self.model.parameters())})"

    def _logprobs(self, features: list[dict], temperatures: list[float], top_ps: list[float]) -> list[torch.Tensor]:
        return [processed_logprobs(self.model(f).unsqueeze(0), t, p)[0] for f, t, p in zip(features, temperatures, top_ps)]

    def act(self, decisions: Sequence[Decision], sampling: SamplingConfig | None = None) -> list[Generation]:
        sampling = sampling or SamplingConfig()
        rows = list(decisions)
        features = [decision_features(d) for d in rows]
        with torch.no_grad():
            logprobs = self._logprobs(features, [sampling.temperature] * len(rows), [sampling.top_p] * len(rows))
        generator = None
        if sampling.seed is not None:  # the batch's text mixed in: fresh draws every turn from one seed
            text = "\n".join(f"{d.agent_id}|{d.observation}" for d in rows)
            generator = torch.Generator().manual_seed(zlib.crc32(text.encode(), sampling.seed & 0xFFFFFFFF))
        out = []
        for d, f, lp in zip(rows, features, logprobs):
            if sampling.greedy:
                choice = int(lp.argmax())
            else:
                choice = int(torch.multinomial(lp.exp(), 1, generator=generator))
            out.append(Generation(
                text=d.admissible_actions[choice], prompt_ids=[], response_ids=[choice], logprobs=[float(lp[choice])],
                finish_reason="stop",
                extra={"arithmetic": f, "temperature": sampling.temperature, "top_p": sampling.top_p},
            ))
        return out

    def token_scores(self, prompt_ids: Sequence[list[int]], response_ids: Sequence[list[int]], extras: Sequence[dict]) -> TokenScores:
        if not len(prompt_ids) == len(response_ids) == len(extras):
            raise ValueError(f"need one response and one extra per prompt, got {len(prompt_ids)}, {len(response_ids)}, {len(extras)}")
        for i, extra in enumerate(extras):
            if not isinstance(extra, dict) or "arithmetic" not in extra:
                raise ValueError(f"row {i}: the step's info lacks 'arithmetic' (was it sampled by this ArithmeticAgent?)")
        features = [e["arithmetic"] for e in extras]
        logprobs = self._logprobs(features, [float(e.get("temperature", 1.0)) for e in extras],
                                  [float(e.get("top_p", 1.0)) for e in extras])
        chosen = torch.stack([lp[int(r[0])] for lp, r in zip(logprobs, response_ids)]).unsqueeze(1)
        spread = torch.stack([entropy(lp) for lp in logprobs]).unsqueeze(1)
        return TokenScores(logprobs=chosen, entropy=spread, mask=torch.ones_like(chosen))

    def trainable_parameters(self) -> list[torch.nn.Parameter]:
        return list(self.model.parameters())

    def state_dict(self) -> dict[str, Any]:
        return {"tensors": {k: v.detach().clone().contiguous() for k, v in self.model.state_dict().items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["tensors"])

    def train_mode(self, training: bool) -> None:
        self.model.train(training)
