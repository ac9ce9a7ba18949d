"""Compact constituency targets: conversion both ways, on hand-made and real CRAFT trees."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from mckd.core.records import Status
from mckd.tasks.constituency.check import check_paper
from mckd.tasks.constituency.compact import from_compact, to_compact
from mckd.tasks.constituency.linearize import to_paper
from mckd.tasks.constituency.treebank import normalize_tree, read_treebank

FIXTURE = Path(__file__).parents[2] / "fixtures" / "craft_sample.trees"
DOG = "The dog barked ."
DOG_PAPER = "( ( ( The ) ( dog ) ) ( barked ) ( . ) )"


def craft_pairs() -> list[tuple[str, str]]:
    pairs = []
    for _, tree in read_treebank(FIXTURE).trees:
        tree = normalize_tree(tree)
        if tree is not None:
            pairs.append((" ".join(tree.leaves()), to_paper(tree)))
    return pairs


def test_words_style_is_one_symbol_per_word():
    assert to_compact(DOG, DOG_PAPER) == "((X X) X X)"
    assert to_compact(DOG, DOG_PAPER, style="words") == "((X X) X X)"


def test_brackets_style_spaces_every_symbol():
    assert to_compact(DOG, DOG_PAPER, style="brackets") == "( ( X X ) X X )"


@pytest.mark.parametrize("style", ["words", "brackets"])
def test_round_trip_restores_paper_form(style):
    compact = to_compact(DOG, DOG_PAPER, style=style)
    assert from_compact(DOG, compact) == DOG_PAPER


def test_unary_chains_and_word_brackets_collapse():
    # ( ( ( a ) ( b ) ) ) has a one-child root; ( ( c ) ) is a doubly wrapped word
    assert to_compact("a b", "( ( ( a ) ( b ) ) )") == "(X X)"
    assert to_compact("a b c", "( ( a ) ( ( b ) ( ( c ) ) ) )") == "(X (X X))"


def test_one_word_input_is_bare_placeholder():
    assert to_compact("Abstract", "( Abstract )") == "X"
    assert from_compact("Abstract", "X") == "( Abstract )"


def test_words_that_are_brackets_are_escaped():
    src = "IL ( 2 )"
    paper = "( ( IL ) ( ( -LRB- ) ( 2 ) ( -RRB- ) ) )"
    compact = to_compact(src, paper)
    assert compact == "(X (X X X))"
    assert from_compact(src, compact) == paper


def test_every_craft_fixture_tree_round_trips():
    pairs = craft_pairs()
    assert len(pairs) >= 30
    for source, paper in pairs:
        for style in ("words", "brackets"):
            compact = to_compact(source, paper, style=style)
            if style == "words":
                assert len(compact.split()) == len(source.split())
            assert from_compact(source, compact) == paper, (source, style)


@pytest.mark.parametrize(
    "paper", ["( ( a ) ( b )", "( ( a ) ) ( ( b ) )", "( ( a ) ( b ) ( c ) )"]
)
def test_to_compact_rejects_bad_targets(paper):
    with pytest.raises(ValueError):
        to_compact("a b", paper)


def test_to_compact_rejects_unknown_style():
    with pytest.raises(ValueError, match="style"):
        to_compact(DOG, DOG_PAPER, style="fancy")


@pytest.mark.parametrize(
    ("compact", "why"),
    [
        ("((X X) X", "unbalanced: checker adds the missing bracket"),
        ("((X X) X X X X)", "two surplus placeholders"),
        ("(X X)", "two words missing"),
        ("", "empty output"),
        ("X X X X", "no brackets"),
    ],
)
def test_from_compact_gives_checkable_text_for_bad_outputs(compact, why):
    text = from_compact(DOG, compact)
    checked = check_paper(DOG, text)
    assert checked.status in (Status.REPAIRED, Status.INVALID), why
    if checked.status == Status.REPAIRED:
        assert checked.target is not None and checked.target.count("(") >= 4


def test_from_compact_never_raises_on_garbage():
    rng = random.Random(0)
    alphabet = ["(", ")", "X", "((X", "X))", " ", "foo", "<unk>", "\n"]
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        out = from_compact(DOG, text)
        assert isinstance(out, str)
        check_paper(DOG, out)  # never raises either
