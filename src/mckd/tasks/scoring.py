"""Corpus scores built from per-sentence span counts (shared by the slot and TOP tasks).

Each sentence contributes a :class:`SpanScores`: its matched / gold / predicted span counts, its
sentence F1, whether it is an exact match and its check status. They add up (``a + b``), so a
corpus score is one ``sum`` and :meth:`SpanScores.to_dict` turns the total into the metrics
every task reports: ``f1`` = ``corpus_f1`` (summed counts, the headline), ``corpus_precision``,
``corpus_recall``, ``sentence_f1`` (mean per sentence), ``exact_match`` (all x100) and the
``valid`` / ``repaired`` / ``invalid`` counts, ``validity_rate`` (x100) and ``n``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mckd.core.records import Status
from mckd.tasks.constituency.metrics import SpanCounts


@dataclass(frozen=True)
class SpanScores:
    """Additive per-sentence sums; ``sum`` them, then :meth:`to_dict`."""

    n: int = 0
    counts: SpanCounts = field(default_factory=SpanCounts)
    f1_sum: float = 0.0
    exact: int = 0
    valid: int = 0
    repaired: int = 0
    invalid: int = 0

    @classmethod
    def one(cls, counts: SpanCounts, f1: float, exact: bool, status: Status) -> SpanScores:
        """One sentence: its span counts, sentence F1 in [0, 1], exact match and status."""
        return cls(1, counts, f1, int(exact), int(status == Status.VALID),
                   int(status == Status.REPAIRED), int(status == Status.INVALID))

    def __add__(self, o: SpanScores) -> SpanScores:
        return SpanScores(self.n + o.n, self.counts + o.counts, self.f1_sum + o.f1_sum,
                          self.exact + o.exact, self.valid + o.valid,
                          self.repaired + o.repaired, self.invalid + o.invalid)

    def to_dict(self) -> dict[str, float | int]:
        """The metrics of the module docstring (percentages x100, 0 without sentences)."""
        pct = (lambda x: 100.0 * x / self.n) if self.n else (lambda x: 0.0)
        f1 = 100.0 * self.counts.f1
        return {
            "f1": f1,
            "corpus_precision": 100.0 * self.counts.precision,
            "corpus_recall": 100.0 * self.counts.recall,
            "corpus_f1": f1,
            "sentence_f1": pct(self.f1_sum),
            "exact_match": pct(self.exact),
            "valid": self.valid,
            "repaired": self.repaired,
            "invalid": self.invalid,
            "validity_rate": pct(self.valid + self.repaired),
            "n": self.n,
        }
