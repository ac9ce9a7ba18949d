"""check_slots: the repair ladder on LLM-like mistakes; it never raises on any text."""

from __future__ import annotations

import random

import pytest

from mckd.core.records import Status
from mckd.tasks.slots.check import check_slots

SRC = "add sabrina salerno to the grime instrumentals playlist"
TYPES = {"artist", "playlist", "music_item"}
GOLD = ("add O sabrina B-artist salerno I-artist to O the O grime B-playlist "
        "instrumentals I-playlist playlist O")
NO_PLAYLIST = GOLD.replace("B-playlist", "O").replace("I-playlist", "O")


def check(text, fmt="interleaved", types=TYPES):
    return check_slots(SRC, text, fmt, types)


def test_exact_output_is_valid_and_spacing_does_not_matter():
    assert check(GOLD).status == Status.VALID
    assert check("  " + GOLD.replace(" ", "   ") + "\n").status == Status.VALID


@pytest.mark.parametrize("text, target, reason", [
    ("Output: " + GOLD + "\nInput: play", GOLD,
     "removed 1 word of text before the output; removed 2 words of text after the output"),
    (GOLD.replace("B-artist", "I-artist"), GOLD, "changed 1 I- tag opening a slot to B-"),
    (GOLD.rsplit(" ", 4)[0] + " instrum", GOLD.replace("I-playlist", "O"),
     "truncated output: the last 2 words tagged O"),
    (GOLD.replace("B-artist salerno", "B-artist O salerno"), GOLD, "removed 1 stray tag"),
    (GOLD.replace("add O", "add"), GOLD, "tagged 1 word without a tag O"),
    (GOLD.replace("-artist", "-Artist"), GOLD, "corrected the case of 2 slot types"),
    (GOLD.replace("-playlist", "-list"), NO_PLAYLIST,
     "set 2 tags of unknown slot type (list) to O"),
    (GOLD.replace("sabrina", "sabina"), GOLD, "aligned words to the input: 1 changed"),
    (GOLD.replace("the O ", ""), GOLD, "aligned words to the input: 1 missing (tagged O)"),
])
def test_interleaved_repairs(text, target, reason):
    checked = check(text)
    assert (checked.status, checked.target) == (Status.REPAIRED, target)
    assert checked.reason == "repaired: " + reason


@pytest.mark.parametrize("text, reason", [
    ("", "empty output"),
    ("   ", "empty output"),
    ("B-artist O", "no words in output"),
    ("hello O world O", "no input word found in the output"),
    ("add O sabrina B-artist x O y O z O grime B-playlist", "words do not match the input"),
])
def test_interleaved_invalid(text, reason):
    checked = check(text)
    assert checked.status == Status.INVALID and checked.target is None
    assert checked.reason.startswith(reason)


def test_an_input_word_that_looks_like_a_tag_reads_right():
    checked = check_slots("play O by x", "play O O B-track by O x O", "interleaved", None)
    assert checked.status == Status.VALID
    assert checked.target == "play O O B-track by O x O"


def test_without_an_inventory_any_type_is_kept():
    checked = check(GOLD.replace("-playlist", "-list"), types=None)
    assert checked.status == Status.VALID and "B-list" in checked.target


@pytest.mark.parametrize("text, target, reason", [
    ("add [artist sabrina salerno] to the [playlist grime instrumentals] playlist", GOLD, ""),
    ("add [ artist sabrina salerno ] to the [playlist: grime instrumentals] playlist", GOLD,
     "repaired: removed ':' after 1 slot type"),
    ("add [artist sabrina salerno] to the [playlist grime instrumentals", GOLD,
     ("repaired: closed the slot left open at the end; truncated output: the last 1 word "
      "tagged O")),
    ("add [sabrina salerno] to the [playlist grime instrumentals] playlist ]",
     GOLD.replace("B-artist", "O").replace("I-artist", "O"),
     ("repaired: removed 1 closing bracket that closed nothing; tagged the words of 1 "
      "bracket without a slot type O")),
    ("add [artist sabrina [playlist salerno] to the grime instrumentals playlist",
     NO_PLAYLIST.replace("salerno I-artist", "salerno B-playlist"),
     "repaired: closed 1 slot at a nested '['"),
])
def test_bracketed(text, target, reason):
    checked = check(text, "bracketed")
    assert (checked.target, checked.reason) == (target, reason)


@pytest.mark.parametrize("text, target_tags, reason", [
    ("O B-artist I-artist O O B-playlist I-playlist O", None, ""),
    ("O B-artist I-artist O O B-playlist", "O B-artist I-artist O O B-playlist O O",
     "repaired: truncated output: the last 2 words tagged O"),
    ("Tags: O I-artist I-artist O O B-playlist I-playlist O O", None,
     ("repaired: removed 1 non-tag token; removed 1 extra tag at the end; "
      "changed 1 I- tag opening a slot to B-")),
])
def test_compact(text, target_tags, reason):
    checked = check(text, "compact")
    tags = (target_tags or "O B-artist I-artist O O B-playlist I-playlist O").split()
    assert checked.target.split()[1::2] == tags and checked.reason == reason


def test_never_raises_and_targets_are_always_well_formed():
    rng = random.Random(1)
    pieces = GOLD.split() + ["[", "]", "[artist", "B-x", "I-", "Output:", "\n", ":", "O"]
    for _ in range(3000):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 20)))
        fmt = rng.choice(["interleaved", "bracketed", "compact"])
        checked = check(text, fmt)
        if checked.status == Status.INVALID:
            assert checked.target is None and checked.reason
        else:
            assert checked.target.split()[0::2] == SRC.split()
            again = check(checked.target)
            assert again.status == Status.VALID and again.target == checked.target
