"""Normalising CRAFT/PTB trees, and the one-line writer the dataset files use."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from nltk import Tree

from mckd.tasks.constituency.treebank import (
    normalize_tree,
    read_treebank,
    strip_label,
    tree_to_line,
    tree_tokens,
)

CRAFT_MINI = Path(__file__).resolve().parents[2] / "fixtures" / "craft_mini" / "trees.txt"


def norm(text: str) -> str | None:
    tree = normalize_tree(Tree.fromstring(text))
    return None if tree is None else tree_to_line(tree)


@pytest.mark.parametrize(
    ("label", "expected"),
    [("NP-SBJ-1", "NP"), ("PP-LOC", "PP"), ("NP=2", "NP"), ("NP-SBJ-1=2", "NP"), ("S-TTL-FRM", "S"),
     ("-LRB-", "-LRB-"), ("-RRB-", "-RRB-"), ("-NONE-", "-NONE-"), ("HYPH", "HYPH"), ("AFX", "AFX"),
     ("PRP$", "PRP$"), (",", ","), (":", ":"), ("-", "-"), ("", "")],
)
def test_strip_label(label, expected):
    assert strip_label(label) == expected


def test_craft_sentence_with_empty_top_bracket_trace_and_function_tags():
    raw = ("( (S (NP-SBJ-1 (JJ Little)) (VP (VBZ is) (VP (VBN known) (NP-1 (-NONE- *)) "
           "(PP (IN about) (NP (NP (JJ genetic) (NNS factors)) (NP (-LRB- -LRB-) (NN IOP)) "
           "(-RRB- -RRB-))))) (. .)) )")
    assert norm(raw) == (
        "(S (NP (JJ Little)) (VP (VBZ is) (VP (VBN known) (PP (IN about) (NP (NP (JJ genetic) "
        "(NNS factors)) (NP (-LRB- -LRB-) (NN IOP)) (-RRB- -RRB-))))) (. .))")


def test_constituents_left_empty_disappear_up_the_unary_chain():
    # S-NOM's subject is only a trace: NP-SBJ goes, and so would any unary chain above it
    raw = "( (S (S-NOM (NP-SBJ (-NONE- *PRO*)) (VP (VBG modulating) (NP (NN activity)))) (. .)) )"
    assert norm(raw) == "(S (S (VP (VBG modulating) (NP (NN activity)))) (. .))"
    assert norm("( (S (VP (NP (-NONE- *T*-1))) (NP (NN x)) (NN y)) )") == "(S (NP (NN x)) (NN y))"


def test_only_empty_elements_gives_none():
    assert normalize_tree(Tree.fromstring("( (S (NP-SBJ (-NONE- *)) (VP (-NONE- *?*))) )")) is None


def test_roots_hyph_and_afx_are_kept():
    assert norm("( (HEADING (NP (NN Abstract))) )") == "(HEADING (NP (NN Abstract)))"
    assert norm("( (TITLE (NP (AFX non) (HYPH -) (NN coding))) )") == (
        "(TITLE (NP (AFX non) (HYPH -) (NN coding)))")


def test_root_and_top_wrappers_are_unwrapped_but_a_multi_child_wrapper_stays():
    assert norm("(ROOT (S (NN a) (NN b)))") == "(S (NN a) (NN b))"
    assert norm("(TOP (S (NN a) (NN b)))") == "(S (NN a) (NN b))"
    assert norm("( (NP (NN a)) (. .) )") == "( (NP (NN a)) (. .))"


def test_normalize_does_not_mutate_its_input():
    tree = Tree.fromstring("( (S (NP-SBJ-1 (-NONE- *)) (VP-2 (VB go)) (NN x)) )")
    before = copy.deepcopy(tree)
    normalize_tree(tree)
    assert tree == before


def test_tokens_and_pos_are_aligned():
    tree = normalize_tree(Tree.fromstring(
        "( (S (NP-SBJ (DT The) (NN striatum)) (NP (-NONE- *)) (VP (VBZ plays)) (. .)) )"))
    assert tree_tokens(tree) == ["The", "striatum", "plays", "."]
    assert [tag for _, tag in tree.pos()] == ["DT", "NN", "VBZ", "."]


def test_tree_to_line_refuses_what_cannot_be_read_back():
    with pytest.raises(ValueError, match="cannot be written"):
        tree_to_line(Tree("NP", [Tree("NN", ["two words"])]))
    with pytest.raises(ValueError, match="cannot be written"):
        tree_to_line(Tree("NP", [Tree("NN", ["(x"])]))


def test_every_fixture_tree_round_trips_through_one_line():
    for _, raw in read_treebank(CRAFT_MINI).trees:
        tree = normalize_tree(raw)
        line = tree_to_line(tree)
        assert "\n" not in line
        assert Tree.fromstring(line) == tree
        assert all(" " not in word for word in tree.leaves())
