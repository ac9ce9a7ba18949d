"""Choosing the demonstrations for each query.

Every selector returns demos *best first* (most useful first) so that packing can drop from the
tail. Selection depends only on the query (its id and text), the pool and the seed: never on
the order queries are labelled in or on concurrency, so a rerun renders the same prompts and
hits the request ledger.

``random`` is the paper's: ``k`` demos drawn per query with a seed derived from (seed, query
id). ``fixed`` draws ``k`` demos once (from the seed) and shows the same ones, in the same order,
with every query: every prompt then shares its long demonstration prefix, which a local server
that keeps the previous prompt's KV cache (llama.cpp's) does not compute again. ``bm25`` ranks the pool by Okapi BM25 similarity to the query (lexical nearest neighbours).
``dense`` ranks it by cosine similarity of sentence embeddings (:mod:`mckd.prompting.dense`);
:func:`mckd.prompting.selection.make_selector` builds one by name.

Selectors may embed or index queries ahead of time: :meth:`DemoSelector.prepare` is called with
every query before a labeling job starts (a no-op for ``random`` and ``bm25``).
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from mckd.core.errors import ConfigError
from mckd.core.hashing import stable_seed
from mckd.prompting.render import Demo

_WORD = re.compile(r"\w+")


class DemoSelector(Protocol):
    """Chooses up to ``k`` demonstrations for one query, best first."""

    k: int

    def select(self, query_id: str, query: str) -> list[Demo]:
        """Demos for the query (never the query's own id), most useful first."""

    def prepare(self, queries: Sequence[str]) -> None:
        """Precompute what :meth:`select` needs for these queries (optional speed-up)."""


def checked_pool(pool: Sequence[Demo], k: int) -> list[Demo]:
    """``pool`` sorted by id, after checking ``k`` and that ids are unique.

    Raises:
        ConfigError: negative ``k`` or a duplicate id.
    """
    if k < 0:
        raise ConfigError(f"number of demonstrations must be >= 0 (got {k})")
    ids = [d.id for d in pool]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise ConfigError(f"demonstration pool has duplicate id {dup!r}; ids must be unique")
    # sorted by id: the draw must not depend on the order of lines in the gold file
    return sorted(pool, key=lambda d: d.id)


class RandomSelector:
    """The paper's selection: ``k`` demos drawn uniformly per query (seeded per query id)."""

    def __init__(self, pool: Sequence[Demo], k: int, seed: int):
        self.pool, self.k, self.seed = checked_pool(pool, k), k, seed

    def prepare(self, queries: Sequence[str]) -> None:
        """Nothing to precompute."""

    def select(self, query_id: str, query: str) -> list[Demo]:
        """A seeded random sample of the pool (excluding ``query_id``); order is the draw's."""
        candidates = [d for d in self.pool if d.id != query_id]
        rng = random.Random(stable_seed(self.seed, "demos", query_id))
        return rng.sample(candidates, min(self.k, len(candidates)))


class FixedSelector:
    """One seeded draw of ``k`` demos, the same for every query (a shared prompt prefix)."""

    def __init__(self, pool: Sequence[Demo], k: int, seed: int):
        self.pool, self.k, self.seed = checked_pool(pool, k), k, seed
        rng = random.Random(stable_seed(seed, "demos", "fixed"))
        # one spare, so a query that is itself a demo still gets k others
        self.drawn = rng.sample(self.pool, min(k + 1, len(self.pool)))

    def prepare(self, queries: Sequence[str]) -> None:
        """Nothing to precompute."""

    def select(self, query_id: str, query: str) -> list[Demo]:
        """The shared draw (without ``query_id``), in draw order."""
        return [d for d in self.drawn if d.id != query_id][: self.k]


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens used by BM25."""
    return _WORD.findall(text.lower())


class BM25Selector:
    """Lexical nearest neighbours: the ``k`` pool inputs with the highest Okapi BM25 score.

    Ties (e.g. demos sharing no word with the query) are broken by demo id.
    """

    def __init__(self, pool: Sequence[Demo], k: int, *, k1: float = 1.5, b: float = 0.75):
        self.pool, self.k, self.k1, self.b = checked_pool(pool, k), k, k1, b
        self.docs = [Counter(tokenize(d.input)) for d in self.pool]
        self.lengths = [sum(doc.values()) for doc in self.docs]
        self.avg_length = (sum(self.lengths) / len(self.lengths)) if self.lengths else 0.0
        df = Counter(term for doc in self.docs for term in doc)
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def scores(self, query: str) -> list[float]:
        """BM25 score of every pool demo (in pool order) for ``query``."""
        terms = tokenize(query)
        out = []
        for doc, length in zip(self.docs, self.lengths, strict=True):
            norm = self.k1 * (1 - self.b + self.b * length / (self.avg_length or 1.0))
            out.append(sum(
                self.idf[t] * doc[t] * (self.k1 + 1) / (doc[t] + norm)
                for t in terms if t in doc
            ))
        return out

    def prepare(self, queries: Sequence[str]) -> None:
        """Nothing to precompute."""

    def select(self, query_id: str, query: str) -> list[Demo]:
        """The ``k`` best-scoring demos, best first (excluding ``query_id``)."""
        scored = zip(self.scores(query), self.pool, strict=True)
        ranked = sorted((-score, demo.id, demo) for score, demo in scored if demo.id != query_id)
        return [demo for _, _, demo in ranked[: self.k]]
