"""BM25 search over the catalogue with bm25s, configured like WebShop's Lucene index.

WebShop indexes, per product, the lower-cased title, description, first bullet point and the
option text ("color: black, white, and size: small, large") and returns the top 50 hits with
Lucene's BM25 (pyserini's defaults k1=0.9, b=0.4). bm25s's "lucene" method is that scoring
function. Text is split into word characters (Lucene's standard tokenizer keeps one-letter and
digit tokens such as "c" in "usb c") and bm25s's English stop words are dropped. WebShop's
analyzer also stems (Porter): not here, since goals use the catalogue's own word forms.

bm25s precomputes every (word, product) BM25 weight; a query sums the weights of its words over
the products that contain them (what ``bm25s.BM25.get_scores`` computes for every product),
so a search costs the length of its words' postings, not the catalogue's size.
"""

from __future__ import annotations

import functools
import re
from typing import Sequence

import bm25s
import numpy as np
from bm25s.stopwords import STOPWORDS_EN

TOP_N = 50  # WebShop's SEARCH_RETURN_N
K1, B = 0.9, 0.4
_WORD = re.compile(r"\w+")
_STOPWORDS = frozenset(STOPWORDS_EN)


def document_text(product) -> str:
    option_text = ", and ".join(f"{group}: {', '.join(values)}" for group, values in product.options)
    return " ".join((product.title, product.description, product.bullets[0], option_text)).lower()


def tokenize(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]


class SearchIndex:
    def __init__(self, products: Sequence):
        self.asins = [p.asin for p in products]
        self.retriever = bm25s.BM25(method="lucene", k1=K1, b=B)
        self.retriever.index([tokenize(document_text(p)) for p in products], show_progress=False)
        self.vocab = self.retriever.vocab_dict
        scores = self.retriever.scores  # CSC by word: postings of word i are indptr[i]:indptr[i+1]
        self._data, self._indices, self._indptr = scores["data"], scores["indices"], scores["indptr"]

    def word_ids(self, query: str) -> list[int]:
        """The query's indexed words (repeats kept: a repeated word counts twice, as in bm25s and Lucene)."""
        return [self.vocab[w] for w in tokenize(query) if w in self.vocab]

    def scores(self, query: str) -> np.ndarray:
        """Every product's BM25 score for ``query`` (0 where it holds no query word)."""
        ids = self.word_ids(query)
        if not ids:
            return np.zeros(len(self.asins))
        spans = [(self._indptr[i], self._indptr[i + 1]) for i in ids]
        docs = np.concatenate([self._indices[a:b] for a, b in spans])
        weights = np.concatenate([self._data[a:b] for a, b in spans])
        return np.bincount(docs, weights=weights, minlength=len(self.asins))

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - the index lives as long as its catalogue
    def search(self, query: str, k: int = TOP_N) -> tuple[str, ...]:
        """The asins of the best ``k`` products for ``query``, best first, ties in catalogue order.
        A query with no indexed word finds nothing. Recent queries are answered from memory (the
        copies of a task in a training group search the same queries)."""
        scores = self.scores(query)
        docs = np.flatnonzero(scores)
        values = scores[docs]
        if len(docs) > k:  # keep the k best and any tied with the k-th
            kth = np.partition(values, len(values) - k)[len(values) - k]
            docs, values = docs[values >= kth], values[values >= kth]
        top = docs[np.lexsort((docs, -values))][:k]
        return tuple(self.asins[i] for i in top)
