"""Slot-filling formats: conlleval-style chunks (cross-checked with seqeval), IOB2 repair and
the interleaved / bracketed / compact renderings."""

from __future__ import annotations

import random

import pytest
from seqeval.metrics.sequence_labeling import get_entities

from mckd.config.schema import builtin_data_root
from mckd.tasks.slots.formats import (
    chunks,
    repair_bio,
    tags_of_target,
    to_bracketed,
    to_interleaved,
)
from mckd.tasks.slots.task import SlotFillingTask

WORDS = ["add", "sabrina", "salerno", "to", "the", "grime", "instrumentals", "playlist"]
TAGS = ["O", "B-artist", "I-artist", "O", "O", "B-playlist", "I-playlist", "O"]


def test_the_three_formats_of_one_sentence():
    assert to_interleaved(WORDS, TAGS) == (
        "add O sabrina B-artist salerno I-artist to O the O grime B-playlist "
        "instrumentals I-playlist playlist O")
    # the bracketed field of SNIPS's own file for this utterance (SOURCE.md)
    assert to_bracketed(WORDS, TAGS) == (
        "add [artist sabrina salerno] to the [playlist grime instrumentals] playlist")
    assert chunks(TAGS) == [("artist", 1, 3), ("playlist", 5, 7)]


@pytest.mark.parametrize("tags, expected", [
    ("B-a I-a O", [("a", 0, 2)]),
    ("I-a I-a O", [("a", 0, 2)]),  # I- after nothing opens a chunk (conlleval)
    ("O I-a B-a", [("a", 1, 2), ("a", 2, 3)]),  # B- always opens a new chunk
    ("B-a I-b I-b", [("a", 0, 1), ("b", 1, 3)]),  # I- of another type opens one
    ("B-a B-a", [("a", 0, 1), ("a", 1, 2)]),
    ("O O", []),
])
def test_chunks_by_hand(tags, expected):
    assert chunks(tags.split()) == expected


def test_chunks_agree_with_seqeval_on_random_and_ill_formed_sequences():
    rng = random.Random(0)
    vocab = ["O", "B-a", "I-a", "B-b", "I-b", "I-c"]
    for _ in range(2000):
        tags = [rng.choice(vocab) for _ in range(rng.randint(1, 9))]
        ours = sorted(chunks(tags), key=lambda c: (c[1], c[0]))
        theirs = sorted(((t, s, e + 1) for t, s, e in get_entities(tags)),
                        key=lambda c: (c[1], c[0]))
        assert ours == theirs, tags


def test_repair_bio_keeps_the_chunks_and_writes_iob2():
    tags = ["I-a", "I-a", "O", "I-b", "B-b", "I-c"]
    fixed, changed = repair_bio(tags)
    assert fixed == ["B-a", "I-a", "O", "B-b", "B-b", "B-c"] and changed == 3
    assert chunks(fixed) == chunks(tags)


def test_chunks_reject_non_tags():
    with pytest.raises(ValueError, match="not a BIO tag: 'X-a'"):
        chunks(["O", "X-a"])


def test_brackets_inside_words_are_escaped_in_the_bracketed_form():
    assert to_bracketed(["a[1]", "b"], ["B-x", "O"]) == "[x a-LSB-1-RSB-] b"
    task = SlotFillingTask(slot_types=["x"])
    checked = task.check("a[1] b", "[x a-LSB-1-RSB-] b", "bracketed")
    assert checked.status.value == "valid" and checked.target == "a[1] B-x b O"


def test_tags_of_target_is_strict():
    assert tags_of_target("a b", "a O b B-x") == ["O", "B-x"]
    for bad in ("a O", "a O c O", "a O b X"):
        with pytest.raises(ValueError):
            tags_of_target("a b", bad)


def test_every_demo_example_round_trips_through_every_format():
    task = SlotFillingTask()
    examples = task.load(str(builtin_data_root() / "snips_demo" / "test.jsonl"))
    for ex in examples:
        canonical = task.gold_target(ex)
        for fmt in task.target_formats:
            text = task.gold_target(ex, fmt)
            assert task.convert(ex.source, canonical, fmt) == text
            checked = task.check(ex.source, text, fmt)
            assert (checked.status.value, checked.target) == ("valid", canonical), (fmt, text)
