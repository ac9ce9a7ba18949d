"""check_tree: the repair ladder on LLM-like mistakes; it never raises on any text."""

from __future__ import annotations

import random

import pytest

from mckd.core.records import Status
from mckd.tasks.top.check import check_tree

SRC = "How far is my mom 's house"
GOLD = ("[IN:GET_DISTANCE How far is [SL:DESTINATION [IN:GET_LOCATION_HOME my "
        "[SL:CONTACT mom ] 's house ] ] ]")


def test_gold_is_valid_whatever_the_spacing():
    assert check_tree(SRC, GOLD).status == Status.VALID
    assert check_tree(SRC, GOLD.replace(" ]", "]").replace("[", " [ ")).status == Status.VALID


@pytest.mark.parametrize("text, reason", [
    (GOLD[:-4], "added 2 closing brackets at the end"),
    (GOLD + " ]", "removed 1 closing bracket that closed nothing"),
    ("Output: " + GOLD + " Hope this helps", "removed 4 words outside the tree"),
    (GOLD.replace("'s house", "'s [SL:X ] house"), "removed 1 empty node"),
    (GOLD.replace("far", "long"), "aligned leaves to input: 1 substituted"),
])
def test_repairs_recover_the_gold_tree(text, reason):
    checked = check_tree(SRC, text)
    assert (checked.status, checked.target) == (Status.REPAIRED, GOLD)
    assert reason in checked.reason


def test_merged_tokens_are_resplit():
    checked = check_tree("what 's on", "[IN:GET_EVENT what's on ]")
    assert checked.target == "[IN:GET_EVENT what 's on ]"
    assert checked.reason == "repaired: re-split 1 merged token"


def test_a_missing_word_is_inserted_outside_the_slot_before_it():
    checked = check_tree("a b c", "[IN:A a [SL:B b ] ]")
    assert checked.target == "[IN:A a [SL:B b ] c ]" and "1 inserted" in checked.reason


@pytest.mark.parametrize("text, reason", [
    ("", "empty output"),
    ("How far is it", "no bracketed words in output"),
    ("[GET_DISTANCE How far is my mom 's house ]", "the root is 'GET_DISTANCE'"),
    ("[IN:A How far [IN:B is my mom 's house ] ]", "IN:A directly contains another IN:"),
    ("[IN:A How long to the station ]", "leaves do not match input"),
])
def test_invalid(text, reason):
    checked = check_tree(SRC, text)
    assert checked.status == Status.INVALID and checked.target is None
    assert checked.reason.startswith(reason)


def test_compact_outputs():
    compact = "[IN:A X [SL:B X ] X ]"
    assert check_tree("a b c", compact, "compact").target == "[IN:A a [SL:B b ] c ]"
    assert check_tree("a b c", compact, "compact").status == Status.VALID
    short = check_tree("a b c", "[IN:A X [SL:B X ] ]", "compact")
    assert short.status == Status.REPAIRED and short.target == "[IN:A a [SL:B b ] c ]"


def test_never_raises_and_targets_read_back_valid():
    rng = random.Random(2)
    pieces = GOLD.split() + ["[", "]", "[IN:X", "[SL:Y", "Output:", "X", "[FOO"]
    for _ in range(3000):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        fmt = rng.choice(["tree", "compact"])
        checked = check_tree(SRC, text, fmt)
        if checked.status == Status.INVALID:
            assert checked.target is None and checked.reason
        else:
            again = check_tree(SRC, checked.target)
            assert again.status == Status.VALID and again.target == checked.target
