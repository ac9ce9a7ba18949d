"""The compact decoding constraint admits exactly the well-formed bracketings of the input."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from nltk import Tree

from mckd.core.records import Status
from mckd.tasks.constituency.check import check_paper
from mckd.tasks.constituency.compact import CompactConstraint, from_compact, to_compact
from mckd.tasks.constituency.linearize import from_paper, to_paper
from mckd.tasks.constituency.treebank import normalize_tree, read_treebank

FIXTURE = Path(__file__).parents[2] / "fixtures" / "craft_sample.trees"
#: plane trees with n leaves whose inner nodes all have >= 2 children (little Schroeder numbers)
SCHROEDER = [1, 1, 3, 11, 45, 197, 903]
STYLES = ["words", "brackets"]


def source_of(n: int) -> str:
    return " ".join(f"w{i}" for i in range(n))


def admitted(constraint: CompactConstraint, source: str) -> list[str]:
    """Every complete output the constraint admits, asserting no dead end on the way."""
    outputs = []

    def walk(state, symbols):
        allowed = constraint.allowed(state)
        assert allowed, f"dead end after {symbols}"
        for sym in allowed:
            if sym == constraint.EOS:
                assert allowed == {constraint.EOS}, "EOS offered before the output is complete"
                outputs.append(" ".join(symbols))
            else:
                walk(constraint.advance(state, sym), symbols + [sym])

    walk(constraint.start(source), [])
    return outputs


def every_inner_node_branches(tree: Tree) -> bool:
    inner = [t for t in tree.subtrees() if len(t.leaves()) > 1]
    return all(len(t) >= 2 for t in inner)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("n", range(1, 8))
def test_admits_exactly_the_valid_bracketings(style, n):
    source = source_of(n)
    outputs = admitted(CompactConstraint(style), source)
    assert len(outputs) == SCHROEDER[n - 1]
    papers = set()
    for out in outputs:
        paper = from_compact(source, out)
        checked = check_paper(source, paper)
        assert checked.status == Status.VALID, (out, checked.reason)
        tree = from_paper(paper)
        assert tree.leaves() == source.split()
        assert every_inner_node_branches(tree), out
        papers.add(paper)
    assert len(papers) == len(outputs)  # no bracketing admitted twice


@pytest.mark.parametrize("style", STYLES)
def test_random_walks_terminate_valid_on_long_inputs(style):
    rng = random.Random(7)
    constraint = CompactConstraint(style)
    for _ in range(200):
        n = rng.randint(1, 60)
        source = source_of(n)
        state, symbols = constraint.start(source), []
        limit = n if style == "words" else 3 * n
        while True:
            sym = rng.choice(sorted(constraint.allowed(state)))
            if sym == constraint.EOS:
                break
            symbols.append(sym)
            state = constraint.advance(state, sym)
            assert len(symbols) <= limit
        assert check_paper(source, from_compact(source, " ".join(symbols))).status == Status.VALID
        if style == "words":
            assert len(symbols) == n


@pytest.mark.parametrize("style", STYLES)
def test_gold_craft_targets_are_admitted(style):
    constraint = CompactConstraint(style)
    for _, tree in read_treebank(FIXTURE).trees:
        tree = normalize_tree(tree)
        source = " ".join(tree.leaves())
        state = constraint.start(source)
        for sym in to_compact(source, to_paper(tree), style=style).split():
            assert sym in constraint.allowed(state), (source, sym)
            state = constraint.advance(state, sym)
        assert constraint.allowed(state) == {constraint.EOS}


@pytest.mark.parametrize("style", STYLES)
def test_symbols_cover_everything_allowed(style):
    constraint = CompactConstraint(style)
    vocabulary = set(constraint.symbols(6)) | {constraint.EOS}
    for n in range(1, 7):
        for out in admitted(constraint, source_of(n)):
            assert set(out.split()) <= vocabulary


def test_advance_rejects_disallowed_symbol():
    constraint = CompactConstraint()
    with pytest.raises(ValueError, match="not allowed"):
        constraint.advance(constraint.start("a b c"), "X)")


def test_unknown_style_is_rejected():
    with pytest.raises(ValueError, match="style"):
        CompactConstraint("fancy")
