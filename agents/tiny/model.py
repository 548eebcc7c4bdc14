"""The tiny policy's network: scores every admissible action of every row in one batched pass.

DRRN-style (He et al., 2016: a state encoder and an action encoder meet in a scorer), from
scratch and small enough to train on two CPU cores in minutes. What makes household tasks
learnable quickly is *exact matching* between the candidate and the context, done on the hashed
ids (so it works for words never seen in training):

- every candidate token is embedded together with where else it occurs: its word embedding plus
  one learned vector per context segment (task, observation, remembered observations,
  remembered actions, last action) it is found in, for words and word pairs separately. So
  "take tomato 1 from fridge 1" under the task "heat some tomato ..." carries a "matches the
  task" direction that "take cup 1 from fridge 1" lacks, whatever the object;
- match counts per segment and kind (as levels 1 / 2 / 3+, one weight each, so a count never
  rewarded in training is not scored by extrapolation: "take mug 1 from coffeemachine 1" matches
  two task words only when it takes back the mug just put in place), whether the verb itself
  occurs in each segment ("cool" in "cool some mug and ..."), how often this exact action was
  already taken (stops loops), how many task words the observation after its last use
  showed (``outcome``, also as levels: go back to where the goal object was seen) and whether it
  was taken and showed none of them (a dead end: a searched place, not worth another visit; the
  one interaction of the two a linear term cannot form), also feed a direct linear term of the
  score;
- a command's first word is its verb; its embedding joins the candidate's, and sets the weights
  of the linear term (so "take" + task match can count for much more than "go" + task match);
- the context: mean-pooled embeddings of each segment, the episode-progress bucket, the
  distinct verbs among the candidates (no "take" while holding something), the sum of the verbs
  already used (what was done: "heat" among them or not; in the mean of the remembered actions
  one verb weighs a few percent) and how much of the task shows up in each other segment -> MLP
  -> ``h``;
- a low-rank weight for every (task word, candidate word) pair, summed straight into the score:
  what no exact match can tell and the pooled bags learn slowly, "hot" or "heat" in the task
  and "microwave" in the candidate (without it the policy took hot-task objects to the fridge,
  or straight to the target);
- score = MLP([h; c; h * c; match features]) + verb-weighted linear(match features) + cross.

The output layers (and the learned side of the cross) start at zero, so an untrained policy is
exactly uniform over the candidates (the random policy), and RL starts from there; ``novelty_prior`` > 0 instead starts it off
disliking actions it already took (one taken n times before starts (n + 1) ** -novelty_prior
times as likely, the one just taken that again): a random explorer that does not walk in circles.
"""

from __future__ import annotations

import torch
from torch import nn

from agents.tiny.tokenizer import ACTION, HASH_BITS, PAIR, RESERVED, SEGMENTS, VERB, WORD

N_SEG = len(SEGMENTS)
TASK_SEG = SEGMENTS.index("task")
MEM_ACT_SEG = SEGMENTS.index("mem_act")
# Per segment: how many of the candidate's words and word pairs occur there (as levels), and
# whether its verb does; then how often the exact action was already taken (remembered, and last);
# then the task words its last outcome showed (as levels), and whether it was taken and showed none.
MATCH_LEVELS = 3  # match counts enter as one-hot levels 1, 2, 3+ (0 = none of them)
REPEATS = slice((2 * MATCH_LEVELS + 1) * N_SEG, (2 * MATCH_LEVELS + 1) * N_SEG + 2)
N_FEATURES = REPEATS.stop + MATCH_LEVELS + 1
N_CONTEXT_FEATURES = N_SEG - 1  # share of the task's words found in each other segment
CROSS_RANK = 16  # rank of the task word x candidate word weights


class TinyScorer(nn.Module):
    def __init__(self, vocab_size: int = 8192, dim: int = 64, hidden: int = 128, novelty_prior: float = 0.0):
        super().__init__()
        if vocab_size <= RESERVED:
            raise ValueError(f"vocab_size must exceed the {RESERVED} reserved ids, got {vocab_size}")
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=0)
        nn.init.normal_(self.embed.weight, std=0.5)
        with torch.no_grad():
            self.embed.weight[0].zero_()
        self.match = nn.Parameter(torch.randn(2, N_SEG, dim) * 0.1)  # (word | pair, segment) -> vector
        self.context = nn.Sequential(
            nn.Linear((N_SEG + 3) * dim + N_CONTEXT_FEATURES, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU()
        )
        self.candidate = nn.Linear(2 * dim, hidden)
        self.score = nn.Sequential(nn.Linear(3 * hidden + N_FEATURES, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.linear = nn.Linear(dim, N_FEATURES + 1)  # verb -> weights of the match features, and a bias
        # Low-rank task word x candidate word weights (one side random, the other learned from zero).
        self.task_side = nn.Embedding(vocab_size, CROSS_RANK)
        self.word_side = nn.Embedding(vocab_size, CROSS_RANK)
        nn.init.normal_(self.task_side.weight, std=CROSS_RANK**-0.5)
        nn.init.zeros_(self.word_side.weight)
        for layer in (self.score[-1], self.linear):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        with torch.no_grad():  # a prior against taking an action again
            self.linear.bias[REPEATS] = -novelty_prior

    def _fold(self, ids: torch.Tensor) -> torch.Tensor:
        """Hashed ids -> rows of the vocab_size tables (markers and padding keep theirs)."""
        return torch.where(ids < RESERVED, ids, RESERVED + (ids - RESERVED) % (self.vocab_size - RESERVED))

    def _embed(self, ids: torch.Tensor) -> torch.Tensor:
        return self.embed(self._fold(ids))

    def forward(self, context: torch.Tensor, candidates: torch.Tensor, outcome: torch.Tensor) -> torch.Tensor:
        """``context`` [B, L] and ``candidates`` [B, C, Lc] ids (0 = padding), and ``outcome`` [B, C]
        (``tokenizer.outcome_matches``) -> scores [B, C], ``-inf`` where a row has fewer than C
        candidates."""
        segment = _segments(context)  # [B, L], 0 = not in a segment
        keys = _sorted_keys(context, segment)

        # Context: segment bags, progress, the candidate set, and where the task shows up.
        ctx_emb = self._embed(context)
        in_seg = nn.functional.one_hot(segment, N_SEG + 1)[..., 1:].float()  # [B, L, S]
        seg_mean = torch.einsum("bls,bld->bsd", in_seg, ctx_emb) / in_seg.sum(1).clamp(min=1).unsqueeze(-1)
        verbs_done = (ctx_emb * (_kind(context) == VERB).unsqueeze(-1)).sum(1)  # each used verb is listed once
        head = context[:, : _task_end(segment)]  # the task segment comes first
        task_words = ((segment[:, : head.shape[1]] == TASK_SEG + 1) & (_kind(head) == WORD)).float()
        task_found = (_counts(keys, head) > 0).float()  # [B, Lt, S]
        task_share = (task_found * task_words.unsqueeze(-1)).sum(1) / task_words.sum(1, keepdim=True).clamp(min=1)

        # Candidates: tokens embedded with where they match, then pooled.
        tok_valid = (candidates != 0).float()  # [B, C, Lc]
        cand_valid = candidates[..., 0] != 0  # [B, C]
        counts = _counts(keys, candidates) * tok_valid.unsqueeze(-1)  # [B, C, Lc, S]
        present = (counts > 0).float()
        kind = _kind(candidates)
        is_word, is_pair = (kind == WORD).float().unsqueeze(-1), (kind == PAIR).float().unsqueeze(-1)
        word_matches, pair_matches = (present * is_word).sum(2), (present * is_pair).sum(2)  # [B, C, S]
        tok_emb = self._embed(candidates)
        n_tok = tok_valid.sum(2).clamp(min=1).unsqueeze(-1)
        # Mean over tokens of (embedding + the match vector of every segment the token occurs in).
        matched = word_matches @ self.match[0] + pair_matches @ self.match[1]
        cand_mean = (tok_emb.sum(2) + matched) / n_tok  # padding embeds to 0 (padding_idx)
        # A command's first word is its verb ("take", "go", "open"): embedded on its own too.
        verb = tok_emb[:, :, 0]
        distinct = _first_occurrence(candidates[..., 0]).float().unsqueeze(-1)  # each verb once
        verb_set = (verb * distinct).sum(1) / distinct.sum(1).clamp(min=1)

        repeats = (counts * (kind == ACTION).float().unsqueeze(-1)).sum(2)[..., MEM_ACT_SEG:]  # [B, C, 2]
        verb_found = present[:, :, 0]  # [B, C, S]: "cool" in "cool the mug ..." tasks, "open" after "open"
        dead_end = ((repeats[..., :1] > 0) & (outcome.unsqueeze(-1) == 0)).float()
        features = torch.cat(
            [_levels(word_matches), _levels(pair_matches), verb_found, torch.log1p(repeats), _levels(outcome.unsqueeze(-1)),
             dead_end],
            dim=-1,
        )

        turn = ctx_emb[:, 0]  # the context always starts with its turn token
        h = self.context(torch.cat([seg_mean.flatten(1), turn, verb_set, verbs_done, task_share[:, 1:]], dim=-1))
        # Score the real candidates only, packed: rows have 3 to 60 candidates, so scoring the
        # padded [B, C] grid would spend half the time on padding.
        rows, cols = cand_valid.nonzero(as_tuple=True)
        h = h[rows]
        verb = verb[rows, cols]
        features = features[rows, cols]
        c = self.candidate(torch.cat([cand_mean[rows, cols], verb], dim=-1))
        by_verb = self.linear(verb)  # [N, F + 1]: per-verb feature weights and bias
        linear = (by_verb[:, :-1] * features).sum(-1) + by_verb[:, -1]
        packed = self.score(torch.cat([h, c, h * c, features], dim=-1)).squeeze(-1) + linear
        packed = packed + self._crosses(torch.where(task_words.bool(), head, 0), candidates)[rows, cols]
        scores = torch.full(cand_valid.shape, float("-inf"), dtype=packed.dtype, device=packed.device)
        return scores.index_put((rows, cols), packed)

    def _crosses(self, task_words: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
        """[B, C]: the sum over (task word, candidate word) pairs of one learned weight each, factored
        to rank CROSS_RANK. Ties what no exact match can, straight to the score: "hot" in the task to
        "microwave" in the candidate."""
        fold = self._fold
        task = (self.task_side(fold(task_words)) * (task_words > 0).unsqueeze(-1)).sum(1)  # [B, R]
        is_word = (_kind(candidates) == WORD).unsqueeze(-1)
        words = (self.word_side(fold(candidates)) * is_word).sum(2)  # [B, C, R]
        return (task.unsqueeze(1) * words).sum(-1)


def _levels(counts: torch.Tensor) -> torch.Tensor:
    """[..., S] counts -> [..., S * MATCH_LEVELS] indicators of 1, 2, ..., MATCH_LEVELS-or-more. One
    weight per level, not one per log-count: a count never seen in training (a "take" matching
    two task words, which only the object just put in place does) gets no extrapolated score."""
    level = counts.clamp(max=MATCH_LEVELS).long()
    return nn.functional.one_hot(level, MATCH_LEVELS + 1)[..., 1:].flatten(-2).float()


def _kind(ids: torch.Tensor) -> torch.Tensor:
    """WORD / PAIR / ACTION of each hashed id; -1 for markers, turn tokens and padding."""
    return torch.where(ids >= RESERVED, (ids - RESERVED) >> HASH_BITS, -1)


def _first_occurrence(ids: torch.Tensor) -> torch.Tensor:
    """[B, C] -> True where a non-padding id appears for the first time in its row."""
    same = ids.unsqueeze(2) == ids.unsqueeze(1)  # [B, C, C]
    earlier = torch.ones_like(same[0], dtype=torch.bool).tril(-1)
    return (ids != 0) & ~(same & earlier).any(-1)


def _task_end(segment: torch.Tensor) -> int:
    """One past the last task-segment position in the batch."""
    in_task = (segment == TASK_SEG + 1).any(0).nonzero()
    return int(in_task[-1]) + 1 if len(in_task) else 1


def _segments(context: torch.Tensor) -> torch.Tensor:
    """Segment number (1..S) of every context position: that of the nearest marker to its left;
    0 for markers, turn tokens and padding."""
    is_marker = (context >= 1) & (context <= N_SEG)
    positions = torch.arange(context.shape[1], device=context.device).expand_as(context)
    last_marker = torch.where(is_marker, positions, -1).cummax(dim=1).values
    segment = context.gather(1, last_marker.clamp(min=0)) * (last_marker >= 0)
    return torch.where(context < RESERVED, 0, segment)


def _sorted_keys(context: torch.Tensor, segment: torch.Tensor) -> torch.Tensor:
    """Each row's (id, segment) pairs as sorted integer keys, for exact lookups by binary search."""
    return torch.where(segment > 0, context * (N_SEG + 1) + segment, -1).sort(dim=1).values


def _counts(keys: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """How often each of ``tokens`` [B, ...] occurs in each context segment: [B, ..., S]."""
    seg_ids = torch.arange(1, N_SEG + 1, device=tokens.device)
    queries = (tokens.unsqueeze(-1) * (N_SEG + 1) + seg_ids).reshape(tokens.shape[0], -1)
    found = torch.searchsorted(keys, queries, right=True) - torch.searchsorted(keys, queries)
    return found.reshape(*tokens.shape, N_SEG).float()
