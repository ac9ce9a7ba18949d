"""Constituency parsing as an MCKD task: the glue between strings and the pure tree functions.

Gold (``Example.gold``) is a normalised one-line PTB tree with POS tags; ``Example.source`` is
its words joined by single spaces. Target formats:

``paper`` (canonical) the paper's unlabeled bracketing (:mod:`.linearize`).
``compact`` a student-friendly encoding of the same bracketing (:mod:`.compact`).
``labeled`` the tree without POS tags. Labels cannot be recovered from paper form, so a
    prediction checked in this format keeps its labels: its ``Checked.target`` is the canonical
    *labeled* string, and every method that reads targets (``score``, ``example_score``,
    ``agreement``, ``convert``) accepts both canonical forms. Only such predictions get
    ``labeled_corpus_*`` scores.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from nltk import Tree

from mckd.core.errors import ConfigError, DataError
from mckd.core.records import Checked, Example, Status
from mckd.tasks.base import DecodingConstraint, Task
from mckd.tasks.constituency.check import check_labeled, check_paper
from mckd.tasks.constituency.linearize import (
    escape_leaf,
    is_labeled_target,
    read_target,
    to_labeled,
    to_paper,
)
from mckd.tasks.constituency.metrics import paper_sentence_f1, score_parses
from mckd.tasks.grammar import Grammar
from mckd.tasks.loading import load_examples


class ConstituencyTask(Task):
    """Unlabeled constituency parsing (the MCKD paper's PTB/CRAFT task). Stateless."""

    name = "constituency"
    target_formats = ("paper", "compact", "labeled")

    def load(self, path: str) -> list[Example]:
        """Read a JSONL file of ``Example`` dicts, checking ids, sources and gold trees.

        Raises:
            DataError: naming file and line, for a missing/ill-typed field, a duplicate id, a
                gold tree that does not parse or whose words are not the source's.
        """
        return load_examples(path, gold_problem=_gold_problem)

    def gold_target(self, example: Example, fmt: str = "paper") -> str:
        """The target for ``example``'s gold tree in format ``fmt``."""
        self._check_format(fmt)
        tree = _gold_tree(example)
        if fmt == "labeled":
            return to_labeled(tree)
        paper = to_paper(tree)
        return paper if fmt == "paper" else self.convert(example.source, paper, fmt)

    def check(self, source: str, text: str, fmt: str = "paper") -> Checked:
        """Validate/repair ``text`` (never raises on bad text); see :mod:`.check`."""
        self._check_format(fmt)
        if fmt == "paper":
            return check_paper(source, text)
        if fmt == "labeled":
            return check_labeled(source, text)
        from mckd.tasks.constituency.compact import from_compact  # written alongside; lazy

        checked = check_paper(source, from_compact(source, text or ""))
        return dataclasses.replace(checked, raw=text)

    def convert(self, source: str, target: str, fmt: str) -> str:
        """Turn a canonical target (paper or labeled form) into format ``fmt``.

        Raises:
            ConfigError: ``fmt`` is unknown, or is ``labeled`` for a target without labels.
        """
        self._check_format(fmt)
        tree = read_target(target)
        if fmt == "paper":
            return to_paper(tree)
        if fmt == "labeled":
            if not is_labeled_target(target):
                raise ConfigError(
                    "target format 'labeled' needs targets that carry labels, but this one is "
                    "paper form (labels cannot be invented); use target format 'paper' or "
                    "'compact', or label with a teacher that writes the labeled format"
                )
            return to_labeled(tree)
        from mckd.tasks.constituency.compact import to_compact  # written alongside; lazy

        return to_compact(source, to_paper(tree))

    def score(self, gold: Sequence[Example], predictions: Sequence[Checked]) -> dict:
        """Corpus scores (:func:`.metrics.score_parses`); invalid predictions count as 0."""
        return score_parses([_gold_tree(ex) for ex in gold], list(predictions))

    def example_score(self, gold: Example, prediction: Checked) -> float:
        """The paper's sentence F1 of ``prediction`` against ``gold``, in [0, 1]."""
        return paper_sentence_f1(_gold_tree(gold), _prediction_tree(prediction))

    def agreement(self, source: str, reference: str, prediction: Checked) -> float:
        """Sentence F1 in [0, 1] of ``prediction`` against a canonical reference target.

        Unlike the paper metric no word is removed first: a pseudolabel has no POS tags to say
        which words are punctuation. Spans of two or more words, whole sentence included; an
        invalid prediction scores 0.
        """
        return paper_sentence_f1(read_target(reference), _prediction_tree(prediction),
                                 punct_tags=())

    def tokenize(self, text: str) -> str:
        """Penn Treebank tokenization (nltk's ``TreebankWordTokenizer``): clitics and
        punctuation split off (``isn't`` -> ``is n't``, a final ``.``), double quotes as
        ````` and ``''``, brackets as ``-LRB-`` / ``-RRB-``, as in PTB and CRAFT trees.
        CRAFT also splits hyphens and slashes (``full - length``); this does not (PTB keeps
        them): pre-tokenize such text yourself and use ``mckd predict --pretokenized``."""
        from nltk.tokenize import TreebankWordTokenizer

        return " ".join(TreebankWordTokenizer().tokenize(text, convert_parentheses=True))

    def headline_metric(self) -> str:
        return "f1"

    def output_grammar(self, source: str) -> Grammar:
        """Paper-form bracketings over ``source``'s words (:mod:`.grammar`)."""
        from mckd.tasks.constituency.grammar import paper_grammar

        return paper_grammar(source)

    def constraint(self, fmt: str) -> DecodingConstraint | None:
        """The compact format's decoding constraint; None for the other formats."""
        self._check_format(fmt)
        if fmt != "compact":
            return None
        from mckd.tasks.constituency.compact import CompactConstraint  # written alongside; lazy

        return CompactConstraint()

    def _check_format(self, fmt: str) -> None:
        if fmt not in self.target_formats:
            raise ConfigError(
                f"unknown target format {fmt!r} for task 'constituency'; valid choices: "
                f"{', '.join(self.target_formats)}"
            )


def _prediction_tree(prediction: Checked) -> Tree | None:
    if prediction.status == Status.INVALID or prediction.target is None:
        return None
    return read_target(prediction.target)


def _gold_tree(example: Example) -> Tree:
    if example.gold is None:
        raise DataError(f"example {example.id!r} has no gold tree; score only labelled data")
    try:
        return Tree.fromstring(example.gold)
    except ValueError as exc:
        raise DataError(f"example {example.id!r}: gold is not a tree ({exc})") from None


def _gold_problem(source: str, gold: str) -> str:
    """Why a gold string is not a tree over ``source``'s words (with the fix), or ""."""
    try:
        tree = Tree.fromstring(gold)
    except ValueError as exc:
        return f"gold is not a bracketed tree ({exc}); fix or regenerate it with `mckd data`"
    if [escape_leaf(w) for w in tree.leaves()] != [escape_leaf(w) for w in source.split()]:
        return ("the gold tree's words are not the source's words; source must be the tree's "
                "leaves joined by single spaces")
    return ""
