"""Parsing metrics: the paper's sentence F1 and corpus-level EVALB-style P/R/F1.

**Paper metric** (:func:`paper_sentence_f1`, reported as ``f1``): per sentence, the set of
unlabeled spans covering at least two words, after removing the words whose *gold* POS tag is in
:data:`PUNCT_TAGS`; the whole-sentence span counts; F1 of the two sets; averaged over all
sentences, an invalid prediction scoring 0. The paper removes "tokens whose gold POS is not a word
tag"; :data:`PUNCT_TAGS` is that complement written out for the PTB, OntoNotes and CRAFT tag
sets (the PTB word tags include ``SYM``, ``LS``, ``FW`` and ``UH``, which stay; CRAFT's ``AFX``
marks a split-off affix such as "pre", a piece of a word, so it stays too). A sentence with no
such span in the gold (one word left after punctuation) scores 1 for any valid prediction.

**Corpus metrics** (``corpus_*``): EVALB (Sekine & Collins) with COLLINS.prm: words tagged
``, : `` '' .`` (and ``-NONE-``) are deleted by their gold tag; constituents labelled ``TOP`` or
``-NONE-`` are deleted; function tags are stripped; ``ADVP`` = ``PRT``; constituents left without
words vanish; the root counts; matched/gold/predicted counts are summed over the corpus.
Differences from evalb, all deliberate:

- unlabeled scores count *distinct spans of at least two words* on both sides (paper-form
  predictions cannot express single-word constituents or unary chains, which evalb's unlabeled
  mode would count as unmatchable gold brackets); labeled scores count every constituent
  above the POS level, as evalb does, with multiplicity;
- no sentence is skipped: evalb drops sentences whose words differ from the gold ("length
  unmatch") or that are empty; here prediction words are aligned to gold words and an invalid
  prediction contributes its gold brackets (recall 0);
- deleted words are chosen by the gold POS tags (predictions carry none), as in evalb when the
  tags agree;
- no 40-word cutoff, crossing brackets or tagging accuracy.

Labeled scores exist only when every usable prediction carries labels (``labeled`` format);
paper-form predictions give ``None``. ``exact_match`` compares canonical paper strings (so it
is unlabeled and punctuation-sensitive). Rates are percentages; with no sentences they are 0.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from nltk import Tree

from mckd.core.records import Checked, Status
from mckd.tasks.constituency.linearize import (
    constituents,
    escape_leaf,
    is_labeled_target,
    read_target,
    to_paper,
)
from mckd.tasks.constituency.treebank import strip_label

#: gold POS tags whose words the paper metric removes (see the module docstring)
PUNCT_TAGS = frozenset({"''", "``", ",", ".", ":", "-LRB-", "-RRB-", "#", "$", "HYPH", "NFP",
                        "-NONE-"})
#: COLLINS.prm: POS tags whose words EVALB deletes
EVALB_DELETE_POS = frozenset({",", ":", "``", "''", ".", "-NONE-"})
#: COLLINS.prm: constituent labels EVALB deletes
EVALB_DELETE_LABELS = frozenset({"TOP", "-NONE-"})
#: COLLINS.prm EQ_LABEL: labels scored as equal (mapped to one representative)
EVALB_EQ_LABELS = {"PRT": "ADVP"}


@dataclass(frozen=True)
class SpanCounts:
    """Additive bracket counts; ``a + b`` sums them, so corpus scores are one ``sum``.

    ``precision`` = matched/pred and ``recall`` = matched/gold, each 0.0 when its denominator is
    0; ``f1`` is their harmonic mean, 0.0 when both are 0.
    """

    matched: int = 0
    gold: int = 0
    pred: int = 0

    @classmethod
    def between(cls, gold: Collection[Any], pred: Collection[Any]) -> SpanCounts:
        """Counts of two span sets, or of two ``Counter``s of brackets (with multiplicity)."""
        if isinstance(gold, Counter) and isinstance(pred, Counter):
            return cls(sum((gold & pred).values()), sum(gold.values()), sum(pred.values()))
        return cls(len(set(gold) & set(pred)), len(gold), len(pred))

    def __add__(self, other: SpanCounts) -> SpanCounts:
        return SpanCounts(self.matched + other.matched, self.gold + other.gold,
                          self.pred + other.pred)

    @property
    def precision(self) -> float:
        return self.matched / self.pred if self.pred else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def align_to_gold(gold_words: Sequence[str], pred_words: Sequence[str]) -> list[int | None]:
    """For each predicted word, the index of the gold word it stands for (None: extra word).

    Words are compared escaped (``(`` = ``-LRB-``). Identical sequences map to themselves;
    otherwise difflib's matching blocks map equal
    words and changed words replaced one for one keep their position.
    """
    gold_words = [escape_leaf(w) for w in gold_words]
    pred_words = [escape_leaf(w) for w in pred_words]
    if gold_words == pred_words:
        return list(range(len(gold_words)))
    out: list[int | None] = [None] * len(pred_words)
    matcher = difflib.SequenceMatcher(None, gold_words, pred_words, autojunk=False)
    for op, g1, g2, p1, p2 in matcher.get_opcodes():
        if op == "equal" or (op == "replace" and g2 - g1 == p2 - p1):
            for k in range(p2 - p1):
                out[p1 + k] = g1 + k
    return out


def _projected(
    tree: Tree, gold_words: Sequence[str], deleted: Sequence[bool]
) -> list[tuple[str, int, int]]:
    """Constituents of ``tree`` as ``(label, start, end)`` over the gold words left after
    deletion (start/end index the kept words); constituents over no kept word are dropped."""
    to_gold = align_to_gold(gold_words, tree.leaves())
    rank: list[int | None] = []
    kept = 0
    for d in deleted:
        rank.append(None if d else kept)
        kept += not d
    out = []
    for label, s, e in constituents(tree):
        ranks = [rank[g] for g in to_gold[s:e] if g is not None and rank[g] is not None]
        if ranks:
            out.append((label, min(ranks), max(ranks) + 1))
    return out


def _span_set(tree: Tree, gold: Tree, deleted: Sequence[bool]) -> set[tuple[int, int]]:
    return {(s, e) for _, s, e in _projected(tree, gold.leaves(), deleted) if e - s >= 2}


def paper_sentence_f1(
    gold: Tree, pred: Tree | None, *, punct_tags: Collection[str] = PUNCT_TAGS
) -> float:
    """The paper's per-sentence unlabeled F1 in [0, 1]; None (invalid) scores 0.

    Args:
        gold: gold tree with POS tags (they decide which words are punctuation).
        pred: predicted tree (any shape, e.g. from :func:`read_target`); its words are aligned
            to the gold words, so a missing or changed word costs only the spans it breaks.
        punct_tags: POS tags to remove; pass ``()`` to keep every word.
    """
    if pred is None:
        return 0.0
    deleted = [tag in punct_tags for _, tag in gold.pos()]
    return span_set_f1(_span_set(gold, gold, deleted), _span_set(pred, gold, deleted))


def span_set_f1(gold: Collection[tuple[int, int]], pred: Collection[tuple[int, int]]) -> float:
    """F1 of two sets of (start, end) spans; 1.0 when both are empty (the paper's rule for a
    sentence with no multi-word span)."""
    if not gold and not pred:
        return 1.0
    return SpanCounts.between(gold, pred).f1


def _evalb_label(label: str) -> str | None:
    if label in EVALB_DELETE_LABELS:
        return None
    label = strip_label(label)
    return EVALB_EQ_LABELS.get(label, label)


def evalb_counts(gold: Tree, pred: Tree | None, *, labeled: bool = False) -> SpanCounts:
    """EVALB-style bracket counts of one sentence (see the module docstring).

    Args:
        gold: gold tree with POS tags.
        pred: predicted tree, or None for an invalid prediction (counts gold brackets only).
        labeled: count labeled constituents (with multiplicity) instead of distinct spans.
    """
    deleted = [tag in EVALB_DELETE_POS for _, tag in gold.pos()]
    if not labeled:
        g = _span_set(gold, gold, deleted)
        p = _span_set(pred, gold, deleted) if pred is not None else set()
        return SpanCounts(len(g & p), len(g), len(p))
    gc, pc = (_labeled_brackets(t, gold, deleted) if t is not None else Counter()
              for t in (gold, pred))
    return SpanCounts(sum((gc & pc).values()), sum(gc.values()), sum(pc.values()))


def _labeled_brackets(tree: Tree, gold: Tree, deleted: Sequence[bool]) -> Counter:
    out: Counter = Counter()
    for label, s, e in _projected(tree, gold.leaves(), deleted):
        mapped = _evalb_label(label)
        if mapped is not None:
            out[(mapped, s, e)] += 1
    return out


@dataclass(frozen=True)
class ParseScores:
    """Additive per-sentence score sums; ``sum`` them, then :meth:`to_dict`."""

    n: int = 0
    f1_sum: float = 0.0
    unlabeled: SpanCounts = SpanCounts()
    labeled: SpanCounts = SpanCounts()
    labeled_preds: int = 0  # usable predictions that carry labels
    unlabeled_preds: int = 0  # usable predictions in paper form
    exact: int = 0
    valid: int = 0
    repaired: int = 0
    invalid: int = 0

    def __add__(self, o: ParseScores) -> ParseScores:
        return ParseScores(
            self.n + o.n, self.f1_sum + o.f1_sum, self.unlabeled + o.unlabeled,
            self.labeled + o.labeled, self.labeled_preds + o.labeled_preds,
            self.unlabeled_preds + o.unlabeled_preds, self.exact + o.exact,
            self.valid + o.valid, self.repaired + o.repaired, self.invalid + o.invalid,
        )

    def to_dict(self) -> dict[str, float | int | None]:
        """Percentages (x100) and counts; ``labeled_*`` are None unless predictions had labels."""
        has_labels = self.labeled_preds > 0 and self.unlabeled_preds == 0
        pct = (lambda x: 100.0 * x / self.n) if self.n else (lambda x: 0.0)
        return {
            "f1": pct(self.f1_sum),
            "corpus_precision": 100.0 * self.unlabeled.precision,
            "corpus_recall": 100.0 * self.unlabeled.recall,
            "corpus_f1": 100.0 * self.unlabeled.f1,
            "labeled_corpus_precision": 100.0 * self.labeled.precision if has_labels else None,
            "labeled_corpus_recall": 100.0 * self.labeled.recall if has_labels else None,
            "labeled_corpus_f1": 100.0 * self.labeled.f1 if has_labels else None,
            "exact_match": pct(self.exact),
            "valid": self.valid,
            "repaired": self.repaired,
            "invalid": self.invalid,
            "validity_rate": pct(self.valid + self.repaired),
            "n": self.n,
        }


def score_one(gold: Tree, prediction: Checked) -> ParseScores:
    """Scores of one checked prediction against its gold tree."""
    usable = prediction.status != Status.INVALID and prediction.target is not None
    pred = read_target(prediction.target) if usable else None
    labeled = usable and is_labeled_target(prediction.target)
    return ParseScores(
        n=1,
        f1_sum=paper_sentence_f1(gold, pred),
        unlabeled=evalb_counts(gold, pred),
        labeled=evalb_counts(gold, pred if labeled else None, labeled=True),
        labeled_preds=int(labeled),
        unlabeled_preds=int(usable and not labeled),
        exact=int(pred is not None and to_paper(pred) == to_paper(gold)),
        valid=int(prediction.status == Status.VALID),
        repaired=int(prediction.status == Status.REPAIRED),
        invalid=int(not usable),
    )


def score_parses(golds: Sequence[Tree], preds: Sequence[Checked]) -> dict[str, float | int | None]:
    """Corpus scores of checked predictions against gold trees (same order, same length).

    Returns:
        ``f1`` (paper metric, mean sentence F1 x100), ``corpus_precision/recall/f1``
        (unlabeled, EVALB-style, x100), ``labeled_corpus_precision/recall/f1`` (x100 or None),
        ``exact_match`` (x100), ``valid``, ``repaired``, ``invalid`` (counts), ``validity_rate``
        (valid + repaired, x100) and ``n``.

    Raises:
        ValueError: the two sequences differ in length.
    """
    if len(golds) != len(preds):
        raise ValueError(f"{len(golds)} gold trees but {len(preds)} predictions")
    return sum((score_one(g, p) for g, p in zip(golds, preds)), ParseScores()).to_dict()
