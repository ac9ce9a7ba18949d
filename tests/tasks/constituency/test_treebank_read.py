"""Reading treebank files: one tree per line, multi-line trees, and every way a file can be bad."""

from __future__ import annotations

from pathlib import Path

import pytest
from nltk import Tree

from mckd.core.errors import DataError
from mckd.tasks.constituency.treebank import read_treebank

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CRAFT_MINI = FIXTURES / "craft_mini" / "trees.txt"
MULTILINE = FIXTURES / "craft_multiline.mrg"


def write(tmp_path: Path, text: str | bytes, name: str = "t.mrg") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_one_tree_per_line_keeps_lines_and_order():
    read = read_treebank(CRAFT_MINI)
    assert [line for line, _ in read.trees] == list(range(1, 60))
    assert read.skipped == []
    line2 = read.trees[1][1]
    assert line2 == Tree.fromstring("( (HEADING (NP (NN Abstract))) )")


def test_multiline_trees_equal_their_one_line_originals():
    one_line = dict(read_treebank(CRAFT_MINI).trees)
    read = read_treebank(MULTILINE)
    assert [line for line, _ in read.trees] == [1, 3, 29, 72, 114]
    originals = [one_line[n] for n in (2, 4, 41, 42, 6)]
    assert [tree for _, tree in read.trees] == originals


def test_several_trees_on_one_line_and_a_tree_split_oddly(tmp_path):
    path = write(tmp_path, "(S (NN a)) (S (NN b))\n\n  (S\n    (NN c)\n  )\n")
    read = read_treebank(path)
    assert [(line, " ".join(tree.leaves())) for line, tree in read.trees] == [
        (1, "a"), (1, "b"), (3, "c")]
    assert read.numbers == [1, 2, 3]


def test_non_ascii_spaces_inside_words_are_removed_and_counted(tmp_path):
    text = "( (NP (NN Xpd\u200aTTD) (HYPH /) (NN \u200a\u2020XPCS) (SYM \u00a4\u2009)) )\n"
    path = write(tmp_path, text)
    read = read_treebank(path)
    assert read.trees[0][1].leaves() == ["XpdTTD", "/", "\u2020XPCS", "\u00a4"]
    assert read.odd_spaces_removed == 3


@pytest.mark.parametrize(
    ("text", "bad_line", "reason"),
    [
        ("(S (NN a))\n(S (NN b)\n(S (NN c))\n", 2, "left open"),
        ("(S (NN a))\n(S (NN b)))\n", 2, "extra ')'"),
        ("(S (NN a))\n  (S (NP (NN b)) (VP\n", 2, "end of file"),
        ("(S (NN a))\nS (NN b))\n", 2, "outside a tree"),
        ("(S (NN a))\n(S (NN b) c)\n", 2, "mixes words"),
        ("(S (NN a) ())\n", 1, "no children"),
    ],
)
def test_malformed_tree_names_file_line_and_fix(tmp_path, text, bad_line, reason):
    path = write(tmp_path, text)
    with pytest.raises(DataError) as err:
        read_treebank(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{bad_line}: malformed tree")
    assert reason in message
    assert "--skip-malformed" in message
    assert err.value.line == bad_line


def test_skip_mode_records_each_malformed_tree_and_keeps_the_rest(tmp_path):
    path = write(tmp_path, "(S (NN a))\n(S (NN b)\n(S (NN c))\n(S (NN d) e)\n(S (NN f))\n")
    read = read_treebank(path, on_error="skip")
    assert [line for line, _ in read.trees] == [1, 3, 5]
    assert [line for line, _ in read.skipped] == [2, 4]
    assert read.numbers == [1, 3, 5]
    assert all(reason for _, reason in read.skipped)


def test_skip_mode_with_nothing_readable_is_an_error(tmp_path):
    path = write(tmp_path, "(S (NN a)\n(S (NN b)\n")
    with pytest.raises(DataError, match="every tree in it is malformed"):
        read_treebank(path, on_error="skip")


@pytest.mark.parametrize("text", ["", "\n\n   \n"])
def test_empty_file_is_an_error(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(DataError, match="no trees found: it is empty"):
        read_treebank(path)


def test_missing_path_and_directory_are_errors(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_treebank(tmp_path / "nope.mrg")
    with pytest.raises(DataError, match="is a directory"):
        read_treebank(tmp_path)


def test_latin1_bytes_name_the_line_and_ask_for_utf8(tmp_path):
    path = write(tmp_path, "(S (NN a))\n(S (NN caf\xe9))\n".encode("latin-1"))
    with pytest.raises(DataError) as err:
        read_treebank(path)
    assert str(err.value).startswith(f"{path}:2: not UTF-8")
    assert "re-encode" in str(err.value)


def test_utf8_bom_is_ignored(tmp_path):
    path = write(tmp_path, "\ufeff(S (NN a))\n")
    assert read_treebank(path).trees[0][1].leaves() == ["a"]
