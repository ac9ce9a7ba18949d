"""Hierarchical semantic parsing (TOP) as an MCKD task.

``Example.source`` is the tokenised utterance (words joined by single spaces); ``Example.gold``
is its TOP tree, ``[IN:GET_EVENT Anything to do [SL:DATE_TIME next week ] ]``, whose words
are exactly the source's. Target formats (:mod:`.formats`): ``tree`` (canonical),
``compact`` (words written as placeholders) and ``words`` (one symbol per input word, for token
classifiers: ``[IN:GET_EVENT|X X X [SL:DATE_TIME|X X]]``). Checking and repair: :mod:`.check`;
decoding constraints for ``compact`` and ``words``: :mod:`.constraint`; metrics:
:mod:`.metrics` (labeled bracket F1 is the headline, exact match is the usual TOP accuracy).

**Label inventory** (optional): the intents and slots a student may generate under the
decoding constraints of the compact and words formats. It comes from the ``intents``/``slots``
options, else from the ``labels`` of the ``dataset.json`` beside the first file
:meth:`TopTask.load` reads (``mckd data top`` writes it). Checking never needs it: any
``IN:``/``SL:`` label is accepted there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from nltk import Tree

from mckd.core.errors import ConfigError, DataError
from mckd.core.records import Checked, Example, Status
from mckd.tasks.base import DecodingConstraint, Task
from mckd.tasks.loading import dataset_info, load_examples
from mckd.tasks.top.check import check_tree
from mckd.tasks.top.formats import LABEL, MalformedTree, read_tree, to_target
from mckd.tasks.top.metrics import predicted_tree, score_trees, sentence_f1

logger = logging.getLogger(__name__)


class TopTask(Task):
    """TOP semantic parsing: intent/slot trees over the input's words.

    Args:
        intents: intent labels (``IN:...``) for the decoding constraint; None: from the data.
        slots: slot labels (``SL:...``) for the decoding constraint; None: from the data.

    Raises:
        ConfigError: a label list that is not a list of ``IN:``/``SL:`` labels.
    """

    name = "top"
    target_formats = ("tree", "compact", "words")

    def __init__(self, intents: Sequence[str] | None = None, slots: Sequence[str] | None = None):
        self.intents: frozenset[str] | None = None
        self.slots: frozenset[str] | None = None
        self.labels_from = ""
        if intents is not None or slots is not None:
            self.intents = _checked_labels(intents or [], "IN:", "task.options.intents")
            self.slots = _checked_labels(slots or [], "SL:", "task.options.slots")
            self.labels_from = "task.options.intents/slots"

    def options(self) -> dict[str, list[str]]:
        """``{"intents": [...], "slots": [...]}`` once an inventory is known, else ``{}``."""
        if self.intents is None:
            return {}
        return {"intents": sorted(self.intents), "slots": sorted(self.slots or ())}

    def load(self, path: str) -> list[Example]:
        """Read a JSONL file of ``Example`` dicts, checking ids, sources and gold trees.

        Adopts the ``labels`` of the ``dataset.json`` beside ``path`` when the task has none.

        Raises:
            DataError: naming file and line, for a missing or ill-typed field, a duplicate id,
                a gold tree that is not a well-formed TOP tree over the source's words, or one
                with a label outside the label inventory (when there is one).
        """
        if self.intents is None:
            info = dataset_info(path)
            labels = None if info is None else info.get("labels")
            if labels is not None:
                where = f"{Path(path).parent / 'dataset.json'}: labels"
                if not isinstance(labels, dict):
                    raise DataError(f"{where} must be an object with 'intents' and 'slots'")
                self.intents = _checked_labels(labels.get("intents"), "IN:", where, DataError)
                self.slots = _checked_labels(labels.get("slots", []), "SL:", where, DataError)
                self.labels_from = where
                logger.info("TOP labels: %d intents, %d slots from %s", len(self.intents),
                            len(self.slots), where)
        return load_examples(path, gold_problem=self._gold_problem)

    def gold_target(self, example: Example, fmt: str = "tree") -> str:
        """The target for ``example``'s gold tree in ``fmt``."""
        self._check_format(fmt)
        return to_target(_gold_tree(example), fmt)

    def check(self, source: str, text: str, fmt: str = "tree") -> Checked:
        """Validate/repair ``text`` (never raises on bad text); see :mod:`.check`."""
        self._check_format(fmt)
        return check_tree(source, text, fmt)

    def convert(self, source: str, target: str, fmt: str) -> str:
        """Turn a canonical tree target into format ``fmt``.

        Raises:
            ConfigError: unknown ``fmt``.
            MalformedTree: ``target`` is not a well-formed tree.
        """
        self._check_format(fmt)
        return to_target(read_tree(target), fmt)

    def score(self, gold: Sequence[Example], predictions: Sequence[Checked]) -> dict:
        """Exact match and labeled bracket F1 (:mod:`.metrics`); invalid predictions count."""
        return score_trees([_gold_tree(ex) for ex in gold], list(predictions))

    def example_score(self, gold: Example, prediction: Checked) -> float:
        """Labeled bracket F1 of ``prediction`` against ``gold``, in [0, 1]."""
        return sentence_f1(_gold_tree(gold), predicted_tree(prediction))

    def agreement(self, source: str, reference: str, prediction: Checked) -> float:
        """Labeled bracket F1 in [0, 1] of ``prediction`` against a canonical reference tree."""
        return sentence_f1(read_tree(reference), predicted_tree(prediction))

    def headline_metric(self) -> str:
        return "f1"

    def constraint(self, fmt: str) -> DecodingConstraint | None:
        """For ``compact`` and ``words``: well-formed trees over the inventory (None for
        ``tree`` or without intents). The ``words`` one's ``allowed`` answers membership only
        (:class:`~mckd.tasks.top.constraint.AllowedSymbols`)."""
        self._check_format(fmt)
        if fmt == "tree" or not self.intents:
            return None
        from mckd.tasks.top.constraint import TreeConstraint, WordsConstraint

        kind = WordsConstraint if fmt == "words" else TreeConstraint
        return kind(self.intents, self.slots or ())

    def _gold_problem(self, source: str, gold: str) -> str:
        """``gold_problem``, then (with an inventory) labels outside it, with the fix."""
        problem = gold_problem(source, gold)
        if problem or self.intents is None:
            return problem
        known = self.intents | (self.slots or frozenset())
        for node in read_tree(gold).subtrees(lambda t: LABEL.fullmatch(t.label()) is not None):
            if node.label() not in known:
                kind = "intent" if node.label().startswith("IN:") else "slot"
                return (f"gold {kind} label {node.label()!r} is not in the label inventory "
                        f"({len(self.intents)} intents, {len(self.slots or ())} slots, from "
                        f"{self.labels_from}); add it there or fix the tree")
        return ""

    def _check_format(self, fmt: str) -> None:
        if fmt not in self.target_formats:
            raise ConfigError(f"unknown target format {fmt!r} for task 'top'; valid choices: "
                              f"{', '.join(self.target_formats)}")


def gold_problem(source: str, gold: str) -> str:
    """Why ``gold`` is not a well-formed TOP tree over ``source``'s words (with the fix), or ""."""
    checked = check_tree(source, gold)
    if checked.status == Status.VALID:
        return ""
    why = checked.reason.removeprefix("repaired: ")
    return (f"gold is not a well-formed TOP tree over the source's words ({why}); write "
            "[IN:NAME words [SL:NAME words ] ] with every source word once, in order")


def _gold_tree(example: Example) -> Tree:
    if example.gold is None:
        raise DataError(f"example {example.id!r} has no gold tree; score only labelled data")
    try:
        return read_tree(example.gold)
    except MalformedTree as exc:
        raise DataError(f"example {example.id!r}: gold is not a TOP tree ({exc.reason})") from None


def _checked_labels(labels: object, prefix: str, where: str,
                    error: type[Exception] = ConfigError) -> frozenset[str]:
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        raise error(f"{where} must be a list of {prefix}<NAME> labels")
    bad = [x for x in labels if not isinstance(x, str) or not x.startswith(prefix)
           or not LABEL.fullmatch(x)]
    if bad:
        raise error(f"{where}: {bad[0]!r} is not a {prefix}<NAME> label")
    return frozenset(labels)
