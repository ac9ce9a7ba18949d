"""Linearisation: the paper's format, the labeled format, tolerant readers, round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from nltk import Tree

from mckd.tasks.constituency.linearize import (
    MalformedTarget,
    constituents,
    from_labeled,
    from_paper,
    is_labeled_target,
    read_target,
    spans,
    to_labeled,
    to_paper,
)
from mckd.tasks.constituency.metrics import evalb_counts
from mckd.tasks.constituency.treebank import normalize_tree

FIXTURE = Path(__file__).parents[2] / "fixtures" / "craft_sample.trees"
DOG = "(S (NP (DT The) (NN dog)) (VP (VBD barked)) (. .))"


def craft_trees() -> list[Tree]:
    trees = [normalize_tree(Tree.fromstring(line)) for line in FIXTURE.read_text().splitlines()]
    return [t for t in trees if t is not None]


def test_paper_form_of_the_papers_example():
    assert to_paper(Tree.fromstring(DOG)) == "( ( ( The ) ( dog ) ) ( barked ) ( . ) )"


@pytest.mark.parametrize(
    "ptb, paper",
    [
        ("(HEADING (NP (NN Abstract)))", "( Abstract )"),
        ("(S (S (NP (PRP It)) (VP (VBZ is))))", "( ( It ) ( is ) )"),  # unary S over S
        ("(S (VP (VB Go) (ADVP (RB away))) (. !))", "( ( ( Go ) ( away ) ) ( ! ) )"),
        ("(NP (DT a) (NP (NP (NN b))))", "( ( a ) ( b ) )"),  # chain over one word
    ],
)
def test_paper_form_collapses_unary_chains(ptb, paper):
    assert to_paper(Tree.fromstring(ptb)) == paper


def test_labeled_form_keeps_labels_and_unaries_but_drops_pos():
    assert to_labeled(Tree.fromstring(DOG)) == "(S (NP The dog ) (VP barked ) . )"
    assert to_labeled(Tree.fromstring("(HEADING (NP (NN Abstract)))")) == "(HEADING (NP Abstract ) )"


def test_bracket_words_are_escaped():
    tree = Tree.fromstring("(NP (NN a) (-LRB- LP) (NN b))")
    tree[1][0] = "("
    assert to_paper(tree) == "( ( a ) ( -LRB- ) ( b ) )"
    assert to_labeled(tree) == "(NP a -LRB- b )"
    assert from_paper(to_paper(tree)).leaves() == ["a", "-LRB-", "b"]


def test_readers_tolerate_spacing():
    canonical = "( ( ( The ) ( dog ) ) ( barked ) ( . ) )"
    assert to_paper(from_paper("(((The)(dog))(barked)(.))")) == canonical
    assert to_paper(from_paper("\n (  ( (The )(dog))  (barked)\t(.) ) ")) == canonical
    labeled = "(S (NP The dog ) (VP barked ) . )"
    assert to_labeled(from_labeled("(S(NP The dog)(VP barked).)")) == labeled


def test_reader_tree_shape_matches_gold_shape():
    tree = from_labeled("(S (NP The dog ) (VP barked ) . )")
    assert tree.label() == "S" and tree[0].label() == "NP"
    assert [tag for _, tag in tree.pos()] == ["XX"] * 4
    assert constituents(tree) == [("NP", 0, 2), ("VP", 2, 3), ("S", 0, 4)]


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "no bracketed tree"),
        ("( ( The ) ( dog )", "1 left open"),
        ("( ( The ) ( dog ) ) )", "closes nothing"),
        ("( ( The ) ( ) )", "empty bracket"),
        ("( The ) ( dog )", "more than one root"),
        ("The ( dog )", "outside the root"),
    ],
)
def test_malformed_paper_raises_with_reason(text, reason):
    with pytest.raises(MalformedTarget, match=reason) as info:
        from_paper(text)
    assert isinstance(info.value, ValueError) and reason in info.value.reason


def test_leaves_and_spans_helpers():
    assert spans(Tree.fromstring(DOG)) == {(0, 2), (0, 4)}
    assert spans(Tree.fromstring(DOG), min_len=1) == {(0, 2), (2, 3), (0, 4)}


def test_read_target_detects_the_format():
    assert is_labeled_target("(S (NP The dog ) . )")
    assert not is_labeled_target("( ( The ) ( dog ) )")
    assert read_target("(S (NP The dog ) . )").label() == "S"
    assert read_target("( ( The ) ( dog ) )").label() == ""


def test_craft_sample_round_trips():
    trees = craft_trees()
    assert len(trees) == 40
    for tree in trees:
        paper, labeled = to_paper(tree), to_labeled(tree)
        assert to_paper(from_paper(paper)) == paper
        assert to_labeled(from_labeled(labeled)) == labeled
        assert to_paper(from_labeled(labeled)) == paper
        assert from_paper(paper).leaves() == tree.leaves()
        # paper form keeps exactly the multi-word spans, labeled form every bracket
        assert spans(from_paper(paper)) == spans(tree)
        perfect = evalb_counts(tree, from_labeled(labeled), labeled=True)
        assert perfect.matched == perfect.gold == perfect.pred > 0
