"""TOP metrics: exact match and labeled bracket F1 over ``(label, start, end)``.

A bracket is a node of the tree as ``(label, first word, end)`` (end exclusive), the root
included, counted with multiplicity; a predicted bracket is correct only if label and both
ends equal a gold bracket's (Gupta et al. 2018's labeled bracketing F1). Predicted trees
always have the input's words (the checker makes sure), so positions compare directly.

- ``f1``, ``corpus_precision``, ``corpus_recall``, ``corpus_f1`` (x100): bracket counts
  summed over the corpus; ``f1`` = ``corpus_f1`` is the headline;
- ``sentence_f1`` (x100): bracket F1 per sentence, averaged;
- ``exact_match`` (x100): the canonical tree strings are equal (the usual TOP accuracy);
- ``valid``, ``repaired``, ``invalid`` (counts), ``validity_rate`` (valid + repaired, x100),
  ``n``.

An invalid prediction stays in every figure: no bracket (its gold brackets count as missed),
sentence F1 0, no exact match. With no sentences every rate is 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from nltk import Tree

from mckd.core.records import Checked, Status
from mckd.tasks.constituency.metrics import SpanCounts
from mckd.tasks.scoring import SpanScores
from mckd.tasks.top.formats import brackets, read_tree, to_string


def bracket_counts(gold: Tree, pred: Tree | None) -> SpanCounts:
    """Matched / gold / predicted labeled brackets of one sentence (``None``: invalid)."""
    g = brackets(gold)
    return SpanCounts.between(g, brackets(pred) if pred is not None else Counter())


def sentence_f1(gold: Tree, pred: Tree | None) -> float:
    """Labeled bracket F1 of one sentence in [0, 1]; 0 for an invalid prediction."""
    return bracket_counts(gold, pred).f1 if pred is not None else 0.0


def predicted_tree(prediction: Checked) -> Tree | None:
    """The tree of a checked prediction's canonical target, None when it is invalid."""
    if prediction.status == Status.INVALID or prediction.target is None:
        return None
    return read_tree(prediction.target)


def score_one(gold: Tree, prediction: Checked) -> SpanScores:
    """Scores of one checked prediction against its gold tree."""
    pred = predicted_tree(prediction)
    exact = pred is not None and to_string(pred) == to_string(gold)
    status = Status.INVALID if pred is None else prediction.status
    return SpanScores.one(bracket_counts(gold, pred), sentence_f1(gold, pred), exact, status)


def score_trees(golds: Sequence[Tree], preds: Sequence[Checked]) -> dict[str, float | int]:
    """Corpus metrics (module docstring) of checked predictions against gold trees.

    Raises:
        ValueError: the two sequences differ in length.
    """
    if len(golds) != len(preds):
        raise ValueError(f"{len(golds)} gold trees but {len(preds)} predictions")
    return sum((score_one(g, p) for g, p in zip(golds, preds)), SpanScores()).to_dict()
