"""TOP trees: reading, writing, structure rules and labeled brackets (pure functions)."""

from __future__ import annotations

import pytest

from mckd.tasks.top.formats import (
    MalformedTree,
    brackets,
    read_tree,
    to_string,
    tokenize,
    words,
)

TREE = "[IN:GET_EVENT Anything to do [SL:DATE_TIME next week ] that might be [SL:ATTRIBUTE_EVENT spooky ] ]"
NESTED = ("[IN:GET_DISTANCE How far is [SL:DESTINATION [IN:GET_LOCATION_HOME my "
          "[SL:CONTACT mom ] 's house ] ] ]")


def test_round_trip_and_spacing():
    tree = read_tree(TREE)
    assert to_string(tree) == TREE
    assert to_string(read_tree(TREE.replace("[IN:", "[ IN:").replace(" ]", "]"))) == TREE
    assert " ".join(words(tree)) == "Anything to do next week that might be spooky"


def test_compact_writes_placeholders():
    assert to_string(read_tree("[IN:A x [SL:B y z ] ]"), placeholder=True) == \
        "[IN:A X [SL:B X X ] ]"


def test_brackets_by_hand():
    assert brackets(read_tree(NESTED)) == {
        ("IN:GET_DISTANCE", 0, 7): 1,
        ("SL:DESTINATION", 3, 7): 1,
        ("IN:GET_LOCATION_HOME", 3, 7): 1,
        ("SL:CONTACT", 4, 5): 1,
    }


@pytest.mark.parametrize("text, reason", [
    ("[SL:A x ]", "the root is 'SL:A', not an intent"),
    ("[IN:A x [IN:B y ] ]", "IN:A directly contains another IN: node"),
    ("[IN:A x [SL:B [SL:C y ] ] ]", "SL:B directly contains another SL: node"),
    ("[IN:A x [FOO y ] ]", "label 'FOO' is not IN:<NAME> or SL:<NAME>"),
    ("[IN:A x [ ] ]", "a bracket has no label"),
    ("[IN:A x [SL:B ] ]", "node SL:B is empty"),
    ("[IN:A x", "unbalanced brackets"),
    ("] [IN:A x ]", "a closing bracket closes nothing"),
    ("[IN:A x ] y", "text after the end of the tree"),
    ("y [IN:A x ]", "word 'y' outside the tree"),
])
def test_strict_reader_says_why(text, reason):
    with pytest.raises(MalformedTree, match=reason.replace("[", r"\[")):
        read_tree(text)


def test_tokenize_glues_labels():
    assert tokenize("[ IN:A x[SL:B y]]") == ["[IN:A", "x", "[SL:B", "y", "]", "]"]
    assert tokenize("[ ] [") == ["[", "]", "["]
