"""BM25 search over a world's documents (the ``bm25s`` library), the searcher's tool."""

from __future__ import annotations

import bm25s

TOP_K = 3


class DocumentSearch:
    """Rank documents for a free-text query; only documents sharing a word with it are returned.
    Ties are broken by document order, so results do not depend on the sort numpy uses."""

    def __init__(self, documents: list[str], top_k: int = TOP_K):
        self.documents = list(documents)
        self.top_k = min(top_k, len(self.documents))
        self.index = bm25s.BM25()
        self.index.index(bm25s.tokenize(self.documents, stopwords="en", show_progress=False), show_progress=False)

    def search(self, query: str) -> list[int]:
        """Indices of the best matches, best first; empty when the query has no indexed word."""
        words = bm25s.tokenize([query], stopwords="en", return_ids=False, show_progress=False)
        if not words[0]:
            return []
        scores = self.index.get_scores(words[0])
        ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], i))  # ties: the earlier document first
        return [i for i in ranked[: self.top_k] if scores[i] > 0]
