"""Slot-filling metrics: span-level chunk F1 (conlleval / seqeval compatible).

A *chunk* is a slot as ``(type, start, end)`` read from BIO tags the conlleval way
(:func:`~.formats.chunks`). A predicted chunk is correct only if type, start and end all equal
a gold chunk's: a slot with the right words but the wrong type is one false positive and one
false negative (the MCKD authors' released function never compared types; this one does).

- ``f1``, ``corpus_precision``, ``corpus_recall``, ``corpus_f1`` (x100): chunk counts summed
  over the corpus, as conlleval and ``seqeval.metrics.f1_score`` (default mode) compute them;
  ``f1`` = ``corpus_f1`` is the headline.
- ``sentence_f1`` (x100): chunk F1 per sentence, averaged over sentences; a sentence whose
  gold and prediction both have no slot scores 1 (nothing to find, nothing invented).
- ``exact_match`` (x100): the predicted chunk set equals the gold one.
- ``valid``, ``repaired``, ``invalid`` (counts), ``validity_rate`` (valid + repaired, x100),
  ``n``.

An invalid prediction stays in every figure: it finds no chunk (its gold chunks count as
missed) and scores 0 per sentence. With no sentences every rate is 0.
"""

from __future__ import annotations

from collections.abc import Sequence

from mckd.core.records import Checked, Status
from mckd.tasks.constituency.metrics import SpanCounts
from mckd.tasks.scoring import SpanScores
from mckd.tasks.slots.formats import chunks, tags_of_target


def chunk_counts(gold_tags: Sequence[str], pred_tags: Sequence[str] | None) -> SpanCounts:
    """Matched / gold / predicted chunk counts of one sentence (``None``: invalid prediction)."""
    gold = set(chunks(gold_tags))
    pred = set(chunks(pred_tags)) if pred_tags is not None else set()
    return SpanCounts(len(gold & pred), len(gold), len(pred))


def sentence_f1(gold_tags: Sequence[str], pred_tags: Sequence[str] | None) -> float:
    """Chunk F1 of one sentence in [0, 1]; 1 when neither side has a chunk, 0 when invalid."""
    if pred_tags is None:
        return 0.0
    counts = chunk_counts(gold_tags, pred_tags)
    if counts.gold == 0 and counts.pred == 0:
        return 1.0
    return counts.f1


def predicted_tags(source: str, prediction: Checked) -> list[str] | None:
    """The tags of a checked prediction's canonical target, None when it is invalid."""
    if prediction.status == Status.INVALID or prediction.target is None:
        return None
    return tags_of_target(source, prediction.target)


def score_one(source: str, gold_tags: Sequence[str], prediction: Checked) -> SpanScores:
    """Scores of one checked prediction against its gold tags."""
    pred = predicted_tags(source, prediction)
    exact = pred is not None and set(chunks(pred)) == set(chunks(gold_tags))
    status = Status.INVALID if pred is None else prediction.status
    return SpanScores.one(chunk_counts(gold_tags, pred), sentence_f1(gold_tags, pred), exact,
                          status)


def score_slots(sources: Sequence[str], golds: Sequence[Sequence[str]],
                preds: Sequence[Checked]) -> dict[str, float | int]:
    """Corpus metrics (module docstring) of checked predictions against gold tag sequences.

    Raises:
        ValueError: the three sequences differ in length.
    """
    if not len(sources) == len(golds) == len(preds):
        raise ValueError(f"{len(sources)} sources, {len(golds)} gold tag sequences and "
                         f"{len(preds)} predictions; they must correspond one to one")
    return sum((score_one(s, g, p) for s, g, p in zip(sources, golds, preds)),
               SpanScores()).to_dict()
