"""BM25 search over a world's documents (the ``bm25s`` library), the searcher's tool."""

from __future__ import annotations

import bm25s

TOP_K = 3


class DocumentSearch:
    """Rank documents for a free-text query; only documents sharing a word with it are returned."""

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
        ranked, scores = self.index.retrieve(words, k=self.top_k, show_progress=False)
        return [int(i) for i, score in zip(ranked[0], scores[0]) if score > 0]
