"""BM25 search over the catalogue with bm25s, configured like WebShop's Lucene index.

WebShop indexes, per product, the lower-cased title, description, first bullet point and the
option text ("color: black, white, and size: small, large") and returns the top 50 hits with
Lucene's BM25 (pyserini's defaults k1=0.9, b=0.4). bm25s's "lucene" method is that scoring
function; English stop words are dropped. WebShop's analyzer also stems (Porter): bm25s does not
here, since goals are written with the catalogue's own word forms.
"""

from __future__ import annotations

from typing import Sequence

import bm25s
import numpy as np

TOP_N = 50  # WebShop's SEARCH_RETURN_N
K1, B = 0.9, 0.4


def document_text(product) -> str:
    option_text = ", and ".join(f"{group}: {', '.join(values)}" for group, values in product.options)
    return " ".join((product.title, product.description, product.bullets[0], option_text)).lower()


class SearchIndex:
    def __init__(self, products: Sequence):
        self.asins = [p.asin for p in products]
        corpus = bm25s.tokenize([document_text(p) for p in products], stopwords="en", show_progress=False)
        self.retriever = bm25s.BM25(method="lucene", k1=K1, b=B)
        self.retriever.index(corpus, show_progress=False)
        self._vocab = corpus.vocab

    def search(self, query: str, k: int = TOP_N) -> list[str]:
        """The asins of the best ``k`` products for ``query``, best first (ties: catalogue order).
        A query with no indexed word finds nothing."""
        tokens = bm25s.tokenize([query.lower()], stopwords="en", show_progress=False, return_ids=False)[0]
        known = [t for t in tokens if t in self._vocab]
        if not known:
            return []
        scores = self.retriever.get_scores(known)
        k = min(k, int(np.count_nonzero(scores)))
        if k == 0:
            return []
        # Everything scoring at least the k-th best, then ordered by score, ties by catalogue order.
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        candidates = np.flatnonzero(scores >= kth)
        top = candidates[np.lexsort((candidates, -scores[candidates]))][:k]
        return [self.asins[i] for i in top]
