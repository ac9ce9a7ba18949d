"""How a few-shot LLM's TOP parses go wrong, applied to gold intent/slot trees.

Per example: the teacher's systematic rules (:mod:`.rules`) rewrite the gold tree; random edits
(:mod:`.random_errors`: wrong intent or slot label, slot boundary shifts, missing and spurious
slots, flattened nested intents) continue until the labeled bracket F1 is about the planned
score; the tree is written in the task's canonical form (``[IN:GET_EVENT Anything to do
[SL:DATE_TIME next week ] ]``, the form the teacher is prompted with); then, at the
configured rates, a word is dropped, duplicated, changed or hallucinated, the brackets are
broken (an unbalanced or unprefixed label), the answer is cut off (finish reason "length") or
laid out loosely (:mod:`.surface`). The score is the task's: labeled bracket F1 over
``(label, start, end)``, the root included.

The reference sample is the first 2,000 lines of the TOP demo's ``unlabeled.jsonl``
(utterances of TOP's eval
file, CC BY-SA; :mod:`mckd.teachers.simulation.reference`); its intents and slots, by
frequency, are the inventories that wrong and spurious labels are drawn from.
"""

from __future__ import annotations

import functools
import random
from collections import Counter
from dataclasses import dataclass

from mckd.core.errors import DataError
from mckd.core.records import Example
from mckd.tasks.top.formats import MalformedTree, read_tree
from mckd.teachers.simulation import surface as shared_surface
from mckd.teachers.simulation.base import ErrorModel, Plan, Simulated, answer
from mckd.teachers.simulation.editing import LabelSampler
from mckd.teachers.simulation.reference import demo_reference
from mckd.teachers.simulation.top import surface
from mckd.teachers.simulation.top.random_errors import (
    INTENT_FAMILIES,
    SLOT_FAMILIES,
    corrupt_to,
)
from mckd.teachers.simulation.top.rules import GROUPS, RULES, apply_rules
from mckd.teachers.simulation.top.tree import (
    Bracket,
    Node,
    bracket_f1,
    brackets,
    from_tree,
    render,
)

REFERENCE_DATASET = "top_demo"


@dataclass(frozen=True)
class PreparedTree:
    """A gold tree ready for corruption: the tree, its words and gold brackets."""

    root: Node
    words: tuple[str, ...]
    gold: Counter[Bracket]


class TopErrorModel(ErrorModel):
    """LLM-like errors for TOP trees (see the module docstring)."""

    task_name = "top"
    rule_names = tuple(RULES)
    rule_groups = GROUPS

    def prepare(self, example: Example) -> PreparedTree:
        """Read the gold tree of ``example``.

        Raises:
            DataError: the gold is missing, is not a well-formed TOP tree, or its words are
                not the source's.
        """
        if example.gold is None:
            raise DataError(f"example {example.id!r} has no gold tree")
        try:
            tree = read_tree(example.gold)
        except MalformedTree as exc:
            raise DataError(f"example {example.id!r}: gold is not a TOP tree ({exc.reason}); "
                            "regenerate the dataset with `mckd data top`") from None
        words = tuple(example.source.split())
        if len(tree.leaves()) != len(words):
            raise DataError(f"example {example.id!r}: the gold tree has {len(tree.leaves())} "
                            f"words but the source has {len(words)}; they must be the same "
                            "words")
        root = from_tree(tree)
        return PreparedTree(root, words, brackets(root))

    def size(self, prepared: PreparedTree) -> int:
        return len(prepared.words)

    def systematic_score(self, prepared: PreparedTree, rules: tuple[str, ...]) -> float:
        root = prepared.root.copy()
        apply_rules(root, prepared.words, rules)
        return bracket_f1(prepared.gold, brackets(root))

    def simulate(self, prepared: PreparedTree, plan: Plan, edits: random.Random,
                 surface_rng: random.Random) -> Simulated:
        words, gold = prepared.words, prepared.gold
        root = prepared.root.copy()
        fired = apply_rules(root, words, plan.rules)
        systematic = bracket_f1(gold, brackets(root))
        score, counts = systematic, {}
        if plan.random_errors:
            intents, slots = _labels()
            root, score, kept = corrupt_to(root, len(words), gold, intents, slots,
                                           plan.score, edits, plan.keep_u)
            counts = dict(kept)
        text, finish, damage = shared_surface.damage(
            render(root, words), surface_rng, self.config, word_error=surface.word_error,
            tokens=list, malform=surface.malform, join=surface.join)
        return answer(text, finish, damage, plan, score=score, systematic=systematic,
                      random_errors=counts, rules_fired=fired)

    def reference(self) -> list[Example]:
        return list(demo_reference(REFERENCE_DATASET))

    def reference_sizes(self) -> list[int]:
        return [len(ex.source.split()) for ex in demo_reference(REFERENCE_DATASET)]


@functools.lru_cache(maxsize=1)
def _labels() -> tuple[LabelSampler, LabelSampler]:
    """The reference's intents and slots by frequency, with their confusable families."""
    counts: Counter[str] = Counter()
    for ex in demo_reference(REFERENCE_DATASET):
        counts.update(n.label() for n in read_tree(ex.gold or "").subtrees(
            lambda t: t.label()[:3] in ("IN:", "SL:")))
    intents = {k: v for k, v in counts.items() if k.startswith("IN:")}
    slots = {k: v for k, v in counts.items() if k.startswith("SL:")}
    return LabelSampler(intents, INTENT_FAMILIES), LabelSampler(slots, SLOT_FAMILIES)
