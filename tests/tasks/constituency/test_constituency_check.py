"""The repair ladder: each rung, its recorded reason, and garbage that never raises."""

from __future__ import annotations

import random

import pytest

from mckd.core.records import Status
from mckd.tasks.constituency.check import check_labeled, check_paper
from mckd.tasks.constituency.linearize import from_paper

SOURCE = "The dog barked at the cat ."
GOLD = "( ( ( The ) ( dog ) ) ( ( barked ) ( ( at ) ( ( the ) ( cat ) ) ) ) ( . ) )"


def test_canonical_output_is_valid():
    checked = check_paper(SOURCE, GOLD)
    assert (checked.status, checked.target, checked.reason, checked.raw) == (
        Status.VALID, GOLD, "", GOLD)


def test_spacing_alone_is_not_a_repair():
    checked = check_paper(SOURCE, "(((The)(dog))((barked)((at)((the)(cat))))(.))\n")
    assert checked.status == Status.VALID and checked.target == GOLD


@pytest.mark.parametrize(
    "text, reason",
    [
        (GOLD[:-4], "added 2 closing brackets"),
        (GOLD + " ) )", "removed 2 extra closing brackets"),
        (") " + GOLD, "removed 1 extra closing bracket"),
        ("Output: " + GOLD, "removed 1 word of text before the tree"),
        (GOLD + "\nThis bracketing groups (the cat) as a noun phrase.",
         "removed 9 words of text after the tree"),
        (GOLD.replace("( . )", "( . ) ( )"), "removed 1 empty bracket"),
        ("( ( The ) ( dog ) ) ( ( barked ) ( ( at ) ( ( the ) ( cat ) ) ) ) ( . )",
         "wrapped 3 roots into one"),
    ],
)
def test_structural_repairs_restore_the_tree(text, reason):
    checked = check_paper(SOURCE, text)
    assert checked.status == Status.REPAIRED
    assert reason in checked.reason and checked.reason.startswith("repaired: ")
    assert checked.target == GOLD


def test_wrapping_roots_keeps_their_internal_structure():
    checked = check_paper(SOURCE, "( ( The ) ( dog ) ) ( ( barked ) ( at ) ) ( the ) ( cat ) ( . )")
    assert checked.target == ("( ( ( The ) ( dog ) ) ( ( barked ) ( at ) ) ( the ) ( cat ) ( . ) )")


def test_merged_tokens_are_resplit():
    checked = check_paper("do n't stop", "( ( don't ) ( stop ) )")
    assert checked.status == Status.REPAIRED and "re-split 1 merged token" in checked.reason
    assert checked.target == "( ( do ) ( n't ) ( stop ) )"


def test_split_tokens_are_remerged():
    checked = check_paper("IL-2 binds DNA", "( ( ( IL ) ( - ) ( 2 ) ) ( ( binds ) ( DNA ) ) )")
    assert "re-merged 1 split token" in checked.reason
    assert checked.target == "( ( IL-2 ) ( ( binds ) ( DNA ) ) )"


def test_missing_final_word_is_appended_at_the_root():
    checked = check_paper(SOURCE, GOLD.replace(" ( . )", ""))
    assert checked.reason == "repaired: aligned leaves to input: 1 inserted"
    assert checked.target == GOLD


@pytest.mark.parametrize("missing", ["big", "barked"])
def test_missing_middle_word_cuts_no_existing_span(missing):
    # a missing word goes right after its left neighbour, as a sibling of the highest
    # constituent ending there: "big" inside the NP, "barked" after the NP (at the root)
    gold = "( ( ( The ) ( big ) ( dog ) ) ( barked ) ( . ) )"
    checked = check_paper("The big dog barked .", gold.replace(f"( {missing} ) ", ""))
    assert checked.target == gold


@pytest.mark.parametrize(
    "text, reason",
    [
        (GOLD.replace("dog", "dogs"), "1 substituted"),
        (GOLD.replace("( the )", "( the ) ( the )"), "1 deleted"),
    ],
)
def test_changed_or_duplicated_words_are_aligned(text, reason):
    checked = check_paper(SOURCE, text)
    assert checked.status == Status.REPAIRED and reason in checked.reason
    assert checked.target == GOLD


def test_too_many_differences_are_invalid():
    source = "a b c d e f g h i j k l"
    checked = check_paper(source, "( ( a ) ( b ) ( c ) ( d ) ( e ) ( x ) ( y ) ( z ) )")
    assert checked.status == Status.INVALID and checked.target is None
    assert checked.reason == ("leaves do not match input: 7 of 12 words differ "
                              "(at most 2 can be repaired)")


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "empty output"),
        ("  \n ", "empty output"),
        (None, "empty output"),
        ("I cannot parse this sentence.", "no bracketed words in output"),
        ("( ( ) ( ) )", "no bracketed words in output"),
        (")))(((", "no bracketed words in output"),
    ],
)
def test_garbage_is_invalid_with_a_reason(text, reason):
    checked = check_paper(SOURCE, text)
    assert (checked.status, checked.target, checked.reason) == (Status.INVALID, None, reason)


def test_random_garbage_never_raises_and_repairs_are_consistent():
    rng = random.Random(0)
    words = SOURCE.split()
    alphabet = ["(", ")", "(", ")", "( (", ") )", "()", "Output:", "xyz", "\n"] + words
    for _ in range(400):
        text = " ".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        if rng.random() < 0.3:
            text = text.replace(" ", "")
        checked = check_paper(SOURCE, text)
        if checked.status == Status.INVALID:
            assert checked.target is None and checked.reason
            continue
        assert from_paper(checked.target).leaves() == words
        again = check_paper(SOURCE, checked.target)
        assert again.status == Status.VALID and again.target == checked.target


def test_labeled_check_keeps_labels_and_repairs():
    labeled = "(S (NP The dog ) (VP barked (PP at (NP the cat ) ) ) . )"
    assert check_labeled(SOURCE, labeled).status == Status.VALID
    glued = check_labeled(SOURCE, "(S(NP The dog)(VP barked (PP at (NP the cat))).)")
    assert glued.status == Status.VALID and glued.target == labeled
    cut = check_labeled(SOURCE, labeled[:-4])
    assert cut.status == Status.REPAIRED and cut.target == labeled
    assert cut.reason == "repaired: added 1 closing bracket; aligned leaves to input: 1 inserted"
    assert check_labeled(SOURCE, "no").status == Status.INVALID


def test_paren_words_in_the_source_match_escaped_leaves():
    checked = check_paper("a ( b )", "( ( a ) ( -LRB- ) ( b ) ( -RRB- ) )")
    assert checked.status == Status.VALID


def test_source_without_words_is_invalid():
    assert check_paper("   ", "( ( a ) )").reason == "input has no words"


def test_several_rungs_combine_in_ladder_order():
    checked = check_paper("a b c", "( a ) ) ) ( b c ) d e")
    assert checked.target == "( ( a ) ( ( b ) ( c ) ) )"
    assert checked.reason == ("repaired: removed 2 extra closing brackets; removed 2 words of "
                              "text after the tree; wrapped 2 roots into one")
