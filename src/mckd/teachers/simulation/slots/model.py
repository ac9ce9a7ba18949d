"""How a few-shot LLM's slot-filling answers go wrong, applied to gold BIO tags.

Per example: the teacher's systematic rules (:mod:`.rules`) rewrite the gold slots; random
edits (:mod:`.random_errors`: wrong type, boundary shift, missed and spurious slots) continue
until the sentence chunk F1 is about the planned score; the slots are written in the task's
canonical interleaved form (``add O sabrina B-artist salerno I-artist``, the form the teacher
is prompted with); then, at the configured rates, a word is dropped, duplicated, changed or
hallucinated, the tagging is broken (``malformed_rate``), the answer is cut off (finish reason
"length") or laid out loosely (:mod:`.surface`). The score is the task's: chunk F1 over
``(type, start, end)``, 1 when neither side has a slot. SNIPS targets carry no intent, so the
model has no intent errors.

The reference sample is the first 2,000 lines of the SNIPS demo's ``unlabeled.jsonl``
(utterances of SNIPS's train
file, CC0; :mod:`mckd.teachers.simulation.reference`); its slot types, by frequency, are the
inventory that wrong and spurious types are drawn from.
"""

from __future__ import annotations

import functools
import random
from collections import Counter
from dataclasses import dataclass

from mckd.core.errors import DataError
from mckd.core.records import Example
from mckd.tasks.slots.formats import chunks, is_tag, tags_from_chunks
from mckd.teachers.simulation import surface as shared_surface
from mckd.teachers.simulation.base import ErrorModel, Plan, Simulated, answer
from mckd.teachers.simulation.editing import LabelSampler
from mckd.teachers.simulation.reference import demo_reference
from mckd.teachers.simulation.slots import surface
from mckd.teachers.simulation.slots.random_errors import FAMILIES, chunk_f1, corrupt_to
from mckd.teachers.simulation.slots.rules import GROUPS, RULES, Chunks, apply_rules

REFERENCE_DATASET = "snips_demo"


@dataclass(frozen=True)
class PreparedSlots:
    """A gold tagging ready for corruption: the words and the gold slots."""

    words: tuple[str, ...]
    gold: Chunks

    @property
    def gold_set(self) -> frozenset:
        return frozenset(self.gold)


class SlotsErrorModel(ErrorModel):
    """LLM-like errors for interleaved slot-filling answers (see the module docstring)."""

    task_name = "slots"
    rule_names = tuple(RULES)
    rule_groups = GROUPS

    def prepare(self, example: Example) -> PreparedSlots:
        """Read the gold tags of ``example``.

        Raises:
            DataError: the gold is missing or is not one BIO tag per source word.
        """
        words = tuple(example.source.split())
        tags = (example.gold or "").split()
        if example.gold is None:
            raise DataError(f"example {example.id!r} has no gold tags")
        if len(tags) != len(words) or not all(map(is_tag, tags)):
            raise DataError(f"example {example.id!r}: gold must be one BIO tag (O, B-<type>, "
                            f"I-<type>) per source word; got {len(tags)} tags for "
                            f"{len(words)} words; regenerate the dataset with `mckd data snips`")
        return PreparedSlots(words, tuple(chunks(tags)))

    def size(self, prepared: PreparedSlots) -> int:
        return len(prepared.words)

    def systematic_score(self, prepared: PreparedSlots, rules: tuple[str, ...]) -> float:
        out, _ = apply_rules(prepared.words, prepared.gold, rules)
        return chunk_f1(prepared.gold_set, out)

    def simulate(self, prepared: PreparedSlots, plan: Plan, edits: random.Random,
                 surface_rng: random.Random) -> Simulated:
        words, gold = prepared.words, prepared.gold_set
        slots, fired = apply_rules(words, prepared.gold, plan.rules)
        systematic = chunk_f1(gold, slots)
        score, counts = systematic, {}
        if plan.random_errors:
            slots, score, kept = corrupt_to(slots, len(words), gold, _labels(),
                                            plan.score, edits, plan.keep_u)
            counts = dict(kept)
        pairs = list(zip(words, tags_from_chunks(len(words), slots)))
        text, finish, damage = shared_surface.damage(
            pairs, surface_rng, self.config, word_error=surface.word_error,
            tokens=surface.tokens_of, malform=surface.malform, join=surface.join)
        return answer(text, finish, damage, plan, score=score, systematic=systematic,
                      random_errors=counts, rules_fired=fired)

    def reference(self) -> list[Example]:
        return list(demo_reference(REFERENCE_DATASET))

    def reference_sizes(self) -> list[int]:
        return [len(ex.source.split()) for ex in demo_reference(REFERENCE_DATASET)]


@functools.lru_cache(maxsize=1)
def _labels() -> LabelSampler:
    """The reference's slot types by frequency, with their confusable families."""
    counts: Counter[str] = Counter(typ for ex in demo_reference(REFERENCE_DATASET)
                                   for typ, _, _ in chunks((ex.gold or "").split()))
    return LabelSampler(counts, FAMILIES)
