"""The ``words`` TOP format (one symbol per input word) and its decoding constraint."""

from __future__ import annotations

import itertools
import random

import pytest

from mckd.config.schema import builtin_data_root
from mckd.core.records import Status
from mckd.tasks.top.check import check_tree
from mckd.tasks.top.constraint import AllowedSymbols, TreeConstraint, WordsConstraint
from mckd.tasks.top.formats import (
    MalformedTree,
    read_symbol,
    read_tree,
    to_symbols,
    word_symbol,
)
from mckd.tasks.top.task import TopTask

TREE = "[IN:GET_EVENT Anything to do [SL:DATE_TIME next week ] ]"
WORDS = "[IN:GET_EVENT|X X X [SL:DATE_TIME|X X]]"
NESTED = ("[IN:GET_DISTANCE How far is [SL:DESTINATION [IN:GET_LOCATION_HOME my "
          "[SL:CONTACT mom ] 's house ] ] ]")
NESTED_WORDS = "[IN:GET_DISTANCE|X X X [SL:DESTINATION[IN:GET_LOCATION_HOME|X [SL:CONTACT|X] X X]]]"


@pytest.fixture(scope="module")
def demo() -> tuple[TopTask, list]:
    """The shipped demo's task (with its label inventory) and every example with gold."""
    task = TopTask()
    root = builtin_data_root() / "top_demo"
    examples = [ex for path in sorted(root.glob("*.jsonl")) for ex in task.load(str(path))]
    return task, [ex for ex in examples if ex.gold is not None]


def small() -> WordsConstraint:
    return WordsConstraint(["IN:A", "IN:C"], ["SL:B"])


def rejected_at(con: WordsConstraint, source: str, symbols: list[str]) -> int:
    """Index of the first symbol ``con`` rejects (``len(symbols)`` when it is ``EOS``)."""
    state = con.start(source)
    for k, symbol in enumerate([*symbols, con.EOS]):
        if symbol not in con.allowed(state):
            return k
        state = con.advance(state, symbol)
    return -1


def test_spelling_by_hand():
    assert " ".join(to_symbols(read_tree(TREE))) == WORDS
    assert " ".join(to_symbols(read_tree(NESTED))) == NESTED_WORDS
    assert TopTask().convert("a", "[IN:AX [SL:X a ] ]", "words") == "[IN:AX[SL:X|X]]"
    assert word_symbol(("IN:A", "SL:B"), 2) == "[IN:A[SL:B|X]]"


@pytest.mark.parametrize("symbol, parsed", [
    ("X", ((), 0)),
    ("X]]", ((), 2)),
    ("[IN:A|X", (("IN:A",), 0)),
    ("[IN:AX|X]", (("IN:AX",), 1)),  # a label ending in X
    ("[IN:A|B|X", (("IN:A|B",), 0)),  # read from the right: the last separator is ours
    ("[IN:A[SL:B|X]]", (("IN:A", "SL:B"), 2)),
    ("[IN:AX", None),  # no placeholder
    ("[IN:A X", None),
    ("[|X", None),
    ("]", None),
    ("x", None),
    ("X]X", None),
])
def test_read_symbol(symbol, parsed):
    assert read_symbol(symbol) == parsed


def test_an_empty_node_cannot_be_written():
    tree = read_tree("[IN:A a b ]")
    tree.insert(1, type(tree)("SL:B", []))
    with pytest.raises(MalformedTree, match="node SL:B is empty"):
        to_symbols(tree)


def test_every_demo_tree_round_trips(demo):
    task, examples = demo
    assert task.target_formats[0] == "tree" and task.target_formats[-1] == "words"
    for ex in examples:
        words = task.gold_target(ex, "words")
        assert task.convert(ex.source, ex.gold, "words") == words
        assert len(words.split()) == len(ex.source.split())
        checked = task.check(ex.source, words, "words")
        assert (checked.status, checked.target) == (Status.VALID, ex.gold), ex.id


def test_every_demo_tree_is_admitted_by_the_constraint(demo):
    task, examples = demo
    con = task.constraint("words")
    assert isinstance(con, WordsConstraint)
    for ex in examples:
        state = con.start(ex.source)
        for symbol in task.gold_target(ex, "words").split():
            allowed = con.allowed(state)
            assert symbol in allowed and con.EOS not in allowed, (ex.id, symbol)
            state = con.advance(state, symbol)
        assert con.EOS in con.allowed(state)
        assert "X" not in con.allowed(state)


def _candidates(labels: list[str], depth: int) -> list[str]:
    """Every symbol with up to ``depth`` opens (any labels, any kinds) and closes."""
    chains = [c for k in range(depth + 1) for c in itertools.product(labels, repeat=k)]
    return [word_symbol(c, k) for c in chains for k in range(depth + 1)]


def _admitted(con: WordsConstraint, source: str, candidates: list[str]) -> set[str]:
    out: set[str] = set()

    def walk(state, prefix):
        if con.EOS in con.allowed(state):
            out.add(" ".join(prefix))
        for symbol in con.allowed(state).among(candidates):
            walk(con.advance(state, symbol), [*prefix, symbol])

    walk(con.start(source), [])
    return out


def _compact_trees(con: TreeConstraint, source: str) -> set[str]:
    out: set[str] = set()

    def walk(state, prefix):
        for symbol in con.allowed(state):
            if symbol == con.EOS:
                out.add(" ".join(prefix))
            else:
                walk(con.advance(state, symbol), [*prefix, symbol])

    walk(con.start(source), [])
    return out


@pytest.mark.parametrize("source, depth", [("w1", 3), ("w1 w2", 2), ("w1 w2 w3", 3)])
def test_the_constraint_admits_exactly_the_well_formed_trees(source, depth):
    intents, slots = ["IN:A", "IN:C"], ["SL:B"]
    words = _admitted(WordsConstraint(intents, slots, max_depth=depth), source,
                      _candidates(intents + slots + ["IN:Z", "FOO"], depth + 1))
    trees = _compact_trees(TreeConstraint(intents, slots, max_depth=depth), source)
    assert len(words) == len(trees) > 1
    expected = {" ".join(to_symbols(read_tree(check_tree(source, t, "compact").target)))
                for t in trees}
    assert words == expected


def test_two_words_by_hand():
    con = WordsConstraint(["IN:A"], ["SL:B"], max_depth=2)
    assert _admitted(con, "w1 w2", _candidates(["IN:A", "SL:B"], 3)) == {
        "[IN:A|X X]", "[IN:A[SL:B|X] X]", "[IN:A|X [SL:B|X]]", "[IN:A[SL:B|X] [SL:B|X]]",
        "[IN:A[SL:B|X X]]"}


@pytest.mark.parametrize("symbols, at, status, reason", [
    # a node without a word has no symbol of its own: written as one, it is malformed
    (["[IN:A|X", "[SL:B]", "X", "X]"], 1, Status.REPAIRED, "removed 1 empty node"),
    (["[IN:A|X", "X", "X"], 2, Status.REPAIRED, "added 1 closing bracket at the end"),
    (["[IN:A|X", "X]", "X"], 1, Status.REPAIRED, "removed 1 word outside the tree"),
    (["[IN:A|X", "X", "X", "X]"], 2, Status.REPAIRED, "1 deleted"),
    (["[IN:A|X", "X]"], 1, Status.REPAIRED, "1 inserted"),
    (["[GET_EVENT|X", "X", "X]"], 0, Status.INVALID, "the root is 'GET_EVENT'"),
    (["[IN:A|X", "[XX:B|X]", "X]"], 1, Status.INVALID, "label 'XX:B' is not IN:<NAME>"),
    (["[SL:B|X", "X", "X]"], 0, Status.INVALID, "the root is 'SL:B', not an intent"),
    (["[IN:A|X", "[IN:C|X]", "X]"], 1, Status.INVALID, "IN:A directly contains another IN:"),
    (["[IN:A[SL:B[SL:B|X]]", "X", "X]"], 0, Status.INVALID, "SL:B directly contains"),
    (["[IN:AX", "X", "X]"], 0, Status.REPAIRED, "read 1 malformed symbol as tree text"),
])
def test_malformed_sequences_are_rejected_and_checked(symbols, at, status, reason):
    assert rejected_at(small(), "a b c", symbols) == at
    checked = check_tree("a b c", " ".join(symbols), "words")
    assert checked.status == status and reason in checked.reason
    assert (checked.target is None) == (status == Status.INVALID)


def test_inventory_and_depth_are_the_constraints_alone():
    assert rejected_at(small(), "a b", ["[IN:ZZZ|X", "X]"]) == 0
    assert check_tree("a b", "[IN:ZZZ|X X]", "words").status == Status.VALID  # as for trees
    assert rejected_at(small(), "a", ["[IN:A[SL:B[IN:C|X]]]"]) == -1
    shallow = WordsConstraint(["IN:A", "IN:C"], ["SL:B"], max_depth=2)
    assert rejected_at(shallow, "a", ["[IN:A[SL:B[IN:C|X]]]"]) == 0
    assert rejected_at(shallow, "a", ["[IN:A[SL:B|X]]"]) == -1


def test_allowed_is_a_membership_only_container():
    con = small()
    allowed = con.allowed(con.start("a b"))
    assert isinstance(allowed, AllowedSymbols) and allowed
    assert "[IN:A|X" in allowed and "[IN:A|X]" not in allowed and con.EOS not in allowed
    assert 3 not in allowed and "" not in allowed
    assert allowed.among(["X", "[IN:C|X", "[SL:B|X", "[IN:C[SL:B|X"]) == ["[IN:C|X", "[IN:C[SL:B|X"]
    with pytest.raises(TypeError):
        iter(allowed)
    with pytest.raises(ValueError, match="not allowed"):
        con.advance(con.start("a b"), "X")
    assert con.allowed(con.start("")).among(["X", con.EOS]) == [con.EOS]


def test_symbols_include_the_guaranteed_ones():
    con = WordsConstraint(["IN:A"], ["SL:B"], max_depth=3)
    assert con.symbols(5) == ["X", "X]", "X]]", "X]]]", "[IN:A|X", "[IN:A|X]", "[SL:B|X",
                              "[SL:B|X]"]
    with pytest.raises(ValueError, match="max_depth"):
        WordsConstraint(["IN:A"], [], max_depth=0)


def _random_walk(con: WordsConstraint, source: str, labels: list[str],
                 rng: random.Random) -> list[str]:
    """A sequence chosen at random among the ``labels`` allowed at each step."""
    state, out = con.start(source), []
    while True:
        allowed = con.allowed(state)
        choices = allowed.among(labels)
        if con.EOS in allowed:
            assert not choices  # the end is forced, and only at the end
            return out
        assert choices, (source, out)
        symbol = rng.choice(choices)
        out.append(symbol)
        state = con.advance(state, symbol)


@pytest.mark.parametrize("max_depth, with_training", [(1, False), (2, False), (10, False),
                                                      (10, True)])
def test_a_classifier_always_has_an_allowed_label(demo, max_depth, with_training):
    task, examples = demo
    con = WordsConstraint(task.intents, task.slots, max_depth=max_depth)
    labels = con.symbols(40)
    if with_training:
        seen = {s for ex in examples[:300] for s in task.gold_target(ex, "words").split()}
        labels = sorted(set(labels) | seen)
    rng = random.Random(7)
    for _ in range(150):
        source = " ".join(f"w{k}" for k in range(rng.randint(1, 12)))
        symbols = _random_walk(con, source, labels, rng)
        assert len(symbols) == len(source.split())
        checked = check_tree(source, " ".join(symbols), "words")
        assert checked.status == Status.VALID, (symbols, checked.reason)
        assert to_symbols(read_tree(checked.target)) == symbols


def test_check_never_raises_on_junk_and_targets_read_back_valid():
    rng = random.Random(3)
    pieces = NESTED_WORDS.split() + ["X", "X]", "[IN:A|X", "[SL:B|X]]", "|", "[", "]", "[IN:AX",
                                     "Output:", "[FOO|X", "x", "[IN:A X"]
    source = "How far is my mom 's house"
    for _ in range(2000):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        checked = check_tree(source, text, "words")
        if checked.status == Status.INVALID:
            assert checked.target is None and checked.reason
        else:
            again = check_tree(source, checked.target)
            assert again.status == Status.VALID and again.target == checked.target


def test_the_task_offers_the_constraint_only_with_an_inventory():
    assert TopTask().constraint("words") is None
    con = TopTask(intents=["IN:A"], slots=["SL:B"]).constraint("words")
    assert isinstance(con, WordsConstraint) and con.labels == {"IN": {"IN:A"}, "SL": {"SL:B"}}
