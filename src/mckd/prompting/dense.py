"""Dense demonstration selection: the gold inputs nearest to the query in embedding space.

The pool is embedded once; queries are embedded in batches ahead of time by :meth:`prepare`
(or one by one on demand). Similarities are rounded to 5 decimals before ranking and ties are
broken by demo id, so the float noise between batched and single encoding never changes which
demos a query gets (the same prompts, so reruns hit the request ledger).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from mckd.prompting.demos import checked_pool
from mckd.prompting.render import Demo

if TYPE_CHECKING:
    import torch

_DECIMALS = 5


class Encoder(Protocol):
    """Anything with ``encode(texts) -> tensor [n, dim]`` of unit rows."""

    def encode(self, texts: Sequence[str]) -> torch.Tensor: ...


class DenseSelector:
    """The ``k`` pool demos whose inputs have the highest cosine similarity to the query."""

    def __init__(self, pool: Sequence[Demo], k: int, encoder: Encoder):
        self.pool, self.k, self.encoder = checked_pool(pool, k), k, encoder
        self.matrix = encoder.encode([d.input for d in self.pool])  # [pool, dim]
        self._queries: dict[str, torch.Tensor] = {}

    def prepare(self, queries: Sequence[str]) -> None:
        """Embed the queries not seen yet, in batches (call before many :meth:`select`)."""
        new = sorted({q for q in queries if q not in self._queries})
        if new:
            for text, vector in zip(new, self.encoder.encode(new), strict=True):
                self._queries[text] = vector

    def scores(self, query: str) -> list[float]:
        """Cosine similarity of every pool demo (in pool order) to ``query``, rounded."""
        self.prepare([query])
        sims = self.matrix @ self._queries[query]  # [pool]
        return [round(float(s), _DECIMALS) for s in sims]

    def select(self, query_id: str, query: str) -> list[Demo]:
        """The ``k`` most similar demos, best first (excluding ``query_id``)."""
        scored = zip(self.scores(query), self.pool, strict=True)
        ranked = sorted((-score, demo.id, demo) for score, demo in scored if demo.id != query_id)
        return [demo for _, _, demo in ranked[: self.k]]
