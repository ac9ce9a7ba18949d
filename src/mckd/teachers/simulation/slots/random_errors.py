"""Random, instance-specific slot-filling errors, applied until a sentence reaches its plan.

Four kinds, drawn with fixed weights (:data:`WEIGHTS`), each returning new slots (the input is
never modified):

- ``wrong_type``: a slot gets another type, mostly a confusable one (:data:`FAMILIES`);
- ``boundary``: a slot grows or shrinks by one word at one end (into an untagged word);
- ``missed``: a slot is left out (its words become ``O``);
- ``spurious``: one or two untagged words become a slot of a type the inventory uses.

The loop that aims at the plan is :func:`~mckd.teachers.simulation.editing.edit_to_plan`.
"""

from __future__ import annotations

import random
from collections import Counter
from functools import partial

from mckd.teachers.simulation.editing import LabelSampler, edit_to_plan
from mckd.teachers.simulation.slots.rules import Chunks, covered

KINDS = ("wrong_type", "boundary", "missed", "spurious")
WEIGHTS = {"wrong_type": 0.35, "boundary": 0.3, "missed": 0.2, "spurious": 0.15}

#: slot types a few-shot LLM mixes up (SNIPS's inventory)
FAMILIES: tuple[frozenset[str], ...] = (
    frozenset({"city", "state", "country", "geographic_poi", "poi", "location_name",
               "current_location"}),
    frozenset({"object_name", "movie_name", "album", "track", "entity_name", "playlist",
               "artist", "restaurant_name"}),
    frozenset({"object_type", "music_item", "movie_type", "object_part_of_series_type",
               "object_location_type", "restaurant_type", "genre"}),
    frozenset({"rating_value", "best_rating", "party_size_number", "year"}),
    frozenset({"rating_unit", "object_select", "sort"}),
    frozenset({"party_size_number", "party_size_description"}),
    frozenset({"timeRange", "year"}),
    frozenset({"cuisine", "served_dish", "restaurant_type", "facility"}),
    frozenset({"condition_description", "condition_temperature"}),
    frozenset({"spatial_relation", "current_location", "location_name"}),
    frozenset({"playlist_owner", "artist"}),
)


def chunk_f1(gold: frozenset, pred: Chunks) -> float:
    """The task's sentence chunk F1: 1 when neither side has a slot."""
    if not gold and not pred:
        return 1.0
    matched = len(gold.intersection(pred))
    return 2 * matched / (len(gold) + len(pred)) if matched else 0.0


def _wrong_type(labels: LabelSampler, chunks: Chunks, rng: random.Random) -> Chunks | None:
    if not chunks:
        return None
    k = rng.randrange(len(chunks))
    typ, s, e = chunks[k]
    other = labels.wrong(typ, rng)
    if other is None:
        return None
    return chunks[:k] + ((other, s, e),) + chunks[k + 1:]


def _boundary(n_words: int, chunks: Chunks, rng: random.Random) -> Chunks | None:
    inside = covered(chunks)
    moves = []
    for k, (_, s, e) in enumerate(chunks):
        if s > 0 and s - 1 not in inside:
            moves.append((k, s - 1, e))
        if e < n_words and e not in inside:
            moves.append((k, s, e + 1))
        if e - s >= 2:
            moves.extend([(k, s + 1, e), (k, s, e - 1)])
    if not moves:
        return None
    k, s, e = rng.choice(moves)
    return chunks[:k] + ((chunks[k][0], s, e),) + chunks[k + 1:]


def _missed(chunks: Chunks, rng: random.Random) -> Chunks | None:
    if not chunks:
        return None
    k = rng.randrange(len(chunks))
    return chunks[:k] + chunks[k + 1:]


def _spurious(labels: LabelSampler, n_words: int, chunks: Chunks,
              rng: random.Random) -> Chunks | None:
    inside = covered(chunks)
    free = [i for i in range(n_words) if i not in inside]
    if not free:
        return None
    start = rng.choice(free)
    end = start + 2 if start + 1 in free and rng.random() < 0.3 else start + 1
    added = (labels.any(rng), start, end)
    return tuple(sorted(chunks + (added,), key=lambda c: c[1]))


def corrupt_to(chunks: Chunks, n_words: int, gold: frozenset, labels: LabelSampler,
               plan: float, rng: random.Random, keep_u: float
               ) -> tuple[Chunks, float, Counter[str]]:
    """Edit ``chunks`` at random until their chunk F1 against ``gold`` is about ``plan``.

    Args:
        chunks: the slots to start from (after the systematic rules).
        n_words: the input's length.
        gold: the gold slots.
        labels: the slot-type inventory to draw wrong and spurious types from.
        plan: planned chunk F1 in [0, 1].
        rng: the example's random stream for edits.
        keep_u: a uniform draw deciding whether the edit crossing the plan is kept.

    Returns:
        The corrupted slots, their F1 and how many edits of each kind were kept.
    """
    edits = {"wrong_type": partial(_wrong_type, labels),
             "boundary": partial(_boundary, n_words),
             "missed": _missed,
             "spurious": partial(_spurious, labels, n_words)}
    return edit_to_plan(chunks, partial(chunk_f1, gold), edits, WEIGHTS, plan, rng, keep_u,
                        budget=3 * n_words + 10)
