"""Slot filling (SNIPS, ATIS) as an MCKD task: the glue between strings and the pure functions.

``Example.source`` is the utterance's words joined by single spaces; ``Example.gold`` is its
BIO tags joined by single spaces, one per word (``O O B-artist I-artist O``); the intent, when
there is one, is in ``Example.meta["intent"]`` and is not part of any target. Target formats
(:mod:`.formats`): ``interleaved`` (canonical, the MCKD authors' ``word TAG word TAG``),
``bracketed`` (``add [artist sabrina salerno] to``) and ``compact`` (the tags alone).

**The slot-type inventory** decides which tags a prediction may use (:mod:`.check`). It comes
from, in this order: the ``slot_types`` option (``task: {name: slots, options: {slot_types:
[...]}}``); else the ``slot_types`` list of the ``dataset.json`` next to the first file
:meth:`SlotFillingTask.load` reads (``mckd data snips`` writes it); else :meth:`fit` on
labelled examples. Without one, any well-formed type is accepted and no decoding constraint
is offered. Gold tags of a type outside the inventory are a :class:`DataError`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from mckd.core.errors import ConfigError, DataError
from mckd.core.records import Checked, Example
from mckd.tasks.base import DecodingConstraint, Task
from mckd.tasks.grammar import Grammar
from mckd.tasks.loading import dataset_info, load_examples
from mckd.tasks.slots.check import check_slots
from mckd.tasks.slots.formats import (
    is_tag,
    repair_bio,
    tag_type,
    tags_of_target,
    to_bracketed,
    to_interleaved,
)
from mckd.tasks.slots.metrics import predicted_tags, score_slots, sentence_f1

logger = logging.getLogger(__name__)

_TYPE = re.compile(r"[^\s\[\]]+")


class SlotFillingTask(Task):
    """Slot filling with BIO tags, scored by span-level chunk F1.

    Args:
        slot_types: the slot-type inventory (e.g. SNIPS's 39 types); None to take it from the
            dataset (see the module docstring).

    Raises:
        ConfigError: ``slot_types`` is not a list of type names.
    """

    name = "slots"
    target_formats = ("interleaved", "bracketed", "compact")

    def __init__(self, slot_types: Sequence[str] | None = None):
        self.slot_types: frozenset[str] | None = None
        self.slot_types_from = ""
        if slot_types is not None:
            self.slot_types = _checked_types(slot_types, "task.options.slot_types")
            self.slot_types_from = "task.options.slot_types"

    def fit(self, examples: Iterable[Example]) -> SlotFillingTask:
        """Take the slot types of ``examples``' gold as the inventory, unless one is set.

        Raises:
            DataError: a gold string is not one BIO tag per word.
        """
        if self.slot_types is None:
            types = {tag_type(t) for ex in examples if ex.gold is not None
                     for t in _gold_tags(ex)} - {None}
            self.slot_types = frozenset(types)
            self.slot_types_from = "fit() on gold examples"
        return self

    def options(self) -> dict[str, list[str]]:
        """``{"slot_types": [...]}`` once an inventory is known, else ``{}``."""
        return {"slot_types": sorted(self.slot_types)} if self.slot_types is not None else {}

    def load(self, path: str) -> list[Example]:
        """Read a JSONL file of ``Example`` dicts, checking ids, sources and gold tags.

        Adopts the ``slot_types`` of the ``dataset.json`` beside ``path`` first when the task
        has no inventory yet.

        Raises:
            DataError: naming file and line, for a missing or ill-typed field, a duplicate id,
                or gold that is not one known BIO tag per word; or an unreadable dataset.json.
        """
        if self.slot_types is None:
            self._adopt_dataset_types(path)
        return load_examples(path, gold_problem=self._gold_problem)

    def gold_target(self, example: Example, fmt: str = "interleaved") -> str:
        """The target for ``example``'s gold tags in ``fmt`` (tags rewritten as IOB2)."""
        self._check_format(fmt)
        tags, _ = repair_bio(_gold_tags(example))
        return _render(example.source.split(), tags, fmt)

    def check(self, source: str, text: str, fmt: str = "interleaved") -> Checked:
        """Validate/repair ``text`` (never raises on bad text); see :mod:`.check`."""
        self._check_format(fmt)
        return check_slots(source, text, fmt, self.slot_types)

    def convert(self, source: str, target: str, fmt: str) -> str:
        """Turn a canonical (interleaved) target into format ``fmt``.

        Raises:
            ConfigError: unknown ``fmt``.
            ValueError: ``target`` is not a canonical target for ``source``.
        """
        self._check_format(fmt)
        return _render(source.split(), tags_of_target(source, target), fmt)

    def score(self, gold: Sequence[Example], predictions: Sequence[Checked]) -> dict:
        """Chunk metrics (:mod:`.metrics`); invalid predictions count as finding nothing."""
        return score_slots([ex.source for ex in gold], [_gold_tags(ex) for ex in gold],
                           list(predictions))

    def example_score(self, gold: Example, prediction: Checked) -> float:
        """Sentence chunk F1 of ``prediction`` against ``gold``, in [0, 1]."""
        return sentence_f1(_gold_tags(gold), predicted_tags(gold.source, prediction))

    def agreement(self, source: str, reference: str, prediction: Checked) -> float:
        """Sentence chunk F1 in [0, 1] of ``prediction`` against a canonical reference target."""
        return sentence_f1(tags_of_target(source, reference), predicted_tags(source, prediction))

    def headline_metric(self) -> str:
        return "f1"

    def output_grammar(self, source: str) -> Grammar:
        """Interleaved ``word TAG`` outputs over ``source``'s words, valid IOB2 over the
        inventory (:mod:`.grammar`).

        Raises:
            ConfigError: no slot-type inventory is known.
        """
        if not self.slot_types:
            raise ConfigError("teacher.openai.constrain: grammar needs the slot-type "
                              "inventory, and this task has none: set task.options.slot_types "
                              "or ship a dataset.json with slot_types next to the data (mckd "
                              "data snips writes it), or set constrain: none")
        from mckd.tasks.slots.grammar import interleaved_grammar

        return interleaved_grammar(source, self.slot_types)

    def constraint(self, fmt: str) -> DecodingConstraint | None:
        """For ``compact``: one valid IOB2 tag per word over the inventory (None without one)."""
        self._check_format(fmt)
        if fmt != "compact" or not self.slot_types:
            return None
        from mckd.tasks.slots.constraint import TagConstraint

        return TagConstraint(self.slot_types)

    def _gold_problem(self, source: str, gold: str) -> str:
        tags, n_words = gold.split(), len(source.split())
        if len(tags) != n_words:
            return (f"gold has {len(tags)} tags for {n_words} words; 'gold' must hold one BIO "
                    "tag per source word, separated by spaces")
        for i, tag in enumerate(tags, start=1):
            if not is_tag(tag):
                return f"gold tag {tag!r} (word {i}) is not O, B-<type> or I-<type>"
            typ = tag_type(tag)
            if typ is not None and self.slot_types is not None and typ not in self.slot_types:
                return (f"gold slot type {typ!r} (word {i}) is not in the slot-type inventory "
                        f"(from {self.slot_types_from}: {len(self.slot_types)} types); add it "
                        "there or fix the tag")
        return ""

    def _adopt_dataset_types(self, split_file: str) -> None:
        info = dataset_info(split_file)
        types = None if info is None else info.get("slot_types")
        if types is None:
            return
        where = str(Path(split_file).parent / "dataset.json")
        self.slot_types = _checked_types(types, f"{where}: slot_types", error=DataError)
        self.slot_types_from = where
        logger.info("slot types: %d from %s", len(self.slot_types), where)

    def _check_format(self, fmt: str) -> None:
        if fmt not in self.target_formats:
            raise ConfigError(f"unknown target format {fmt!r} for task 'slots'; valid choices: "
                              f"{', '.join(self.target_formats)}")


def _render(words: list[str], tags: list[str], fmt: str) -> str:
    if fmt == "interleaved":
        return to_interleaved(words, tags)
    if fmt == "bracketed":
        return to_bracketed(words, tags)
    return " ".join(tags)


def _gold_tags(example: Example) -> list[str]:
    if example.gold is None:
        raise DataError(f"example {example.id!r} has no gold tags; score only labelled data")
    tags = example.gold.split()
    if len(tags) != len(example.source.split()) or not all(map(is_tag, tags)):
        raise DataError(f"example {example.id!r}: gold must be one BIO tag per source word "
                        f"(got {example.gold!r})")
    return tags


def _checked_types(types: object, where: str, error: type[Exception] = ConfigError
                   ) -> frozenset[str]:
    if isinstance(types, str) or not isinstance(types, Sequence):
        raise error(f"{where} must be a list of slot type names, e.g. [artist, playlist]")
    bad = [t for t in types if not isinstance(t, str) or not _TYPE.fullmatch(t)]
    if bad:
        raise error(f"{where}: {bad[0]!r} is not a slot type name (no spaces or brackets)")
    return frozenset(types)
