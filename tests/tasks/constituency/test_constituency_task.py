"""ConstituencyTask: loading with clear errors, formats, checking, scoring, agreement."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mckd.core.errors import ConfigError, DataError
from mckd.core.records import Checked, Example, Status
from mckd.tasks import get_task
from mckd.tasks.constituency.task import ConstituencyTask

DOG = "(S (NP (DT The) (NN dog)) (VP (VBD barked)) (. .))"
DOG_PAPER = "( ( ( The ) ( dog ) ) ( barked ) ( . ) )"
EXAMPLE = Example(id="s1", source="The dog barked .", gold=DOG)


def write_rows(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return str(path)


def test_registered_and_cheap_to_import():
    assert isinstance(get_task("constituency"), ConstituencyTask)
    code = "import mckd.tasks.constituency, sys; print('nltk' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_load_reads_examples(tmp_path):
    path = write_rows(tmp_path / "d.jsonl", [
        EXAMPLE.to_dict(), "", {"id": "u1", "source": "no gold here"},
    ])
    examples = ConstituencyTask().load(path)
    assert examples == [EXAMPLE, Example(id="u1", source="no gold here")]


@pytest.mark.parametrize(
    "row, message",
    [
        ({"id": "x"}, "field 'source' must be a non-empty string"),
        ({"id": 3, "source": "a b"}, "field 'id' must be a non-empty string"),
        ({"id": "x", "source": "a b", "gold": "(S (A a) (B b)"}, "gold is not a bracketed tree"),
        ({"id": "x", "source": "a c", "gold": "(S (A a) (B b))"}, "words are not the source's"),
        ({"id": "x", "source": "a", "meta": [1]}, "field 'meta' must be an object"),
    ],
)
def test_load_errors_name_file_and_line(tmp_path, row, message):
    path = write_rows(tmp_path / "bad.jsonl", [EXAMPLE.to_dict(), "", row])
    with pytest.raises(DataError, match=message) as info:
        ConstituencyTask().load(path)
    assert str(info.value).startswith(f"{path}:3: ")


def test_load_rejects_duplicate_ids(tmp_path):
    path = write_rows(tmp_path / "dup.jsonl", [EXAMPLE.to_dict(), EXAMPLE.to_dict()])
    with pytest.raises(DataError, match=r":2: duplicate id 's1' \(first on line 1\)"):
        ConstituencyTask().load(path)


def test_gold_target_in_every_format():
    task = ConstituencyTask()
    assert task.gold_target(EXAMPLE) == DOG_PAPER
    assert task.gold_target(EXAMPLE, "labeled") == "(S (NP The dog ) (VP barked ) . )"
    compact = task.gold_target(EXAMPLE, "compact")
    assert compact == task.convert(EXAMPLE.source, DOG_PAPER, "compact")
    with pytest.raises(ConfigError, match="valid choices: paper, compact, labeled"):
        task.gold_target(EXAMPLE, "ptb")
    with pytest.raises(DataError, match="has no gold tree"):
        task.gold_target(Example(id="u", source="a b"))


def test_check_each_format_returns_canonical_targets():
    task = ConstituencyTask()
    compact = task.gold_target(EXAMPLE, "compact")
    checked = task.check(EXAMPLE.source, compact, "compact")
    assert (checked.status, checked.target, checked.raw) == (Status.VALID, DOG_PAPER, compact)
    assert task.check(EXAMPLE.source, "", "compact").status == Status.INVALID
    labeled = task.check(EXAMPLE.source, "(S (NP The dog ) (VP barked ) . )", "labeled")
    assert labeled.target == "(S (NP The dog ) (VP barked ) . )"
    assert task.check(EXAMPLE.source, DOG_PAPER[:-2]).status == Status.REPAIRED


def test_convert_between_formats():
    task = ConstituencyTask()
    labeled = "(S (NP The dog ) (VP barked ) . )"
    assert task.convert(EXAMPLE.source, DOG_PAPER, "paper") == DOG_PAPER
    assert task.convert(EXAMPLE.source, labeled, "paper") == DOG_PAPER
    assert task.convert(EXAMPLE.source, labeled, "labeled") == labeled
    with pytest.raises(ConfigError, match="labels cannot be invented"):
        task.convert(EXAMPLE.source, DOG_PAPER, "labeled")


def test_score_example_score_and_headline():
    task = ConstituencyTask()
    flat = task.check(EXAMPLE.source, "( ( The ) ( dog ) ( barked ) ( . ) )")
    invalid = Checked(raw="?", target=None, status=Status.INVALID, reason="empty output")
    assert task.example_score(EXAMPLE, flat) == pytest.approx(2 / 3)  # P 1/1, R 1/2
    assert task.example_score(EXAMPLE, invalid) == 0.0
    scores = task.score([EXAMPLE, EXAMPLE], [flat, invalid])
    assert scores[task.headline_metric()] == pytest.approx(100 / 3)
    assert (scores["n"], scores["invalid"]) == (2, 1)


def test_agreement_keeps_punctuation():
    task = ConstituencyTask()
    pred = task.check(EXAMPLE.source, "( ( The ) ( dog ) ( ( barked ) ( . ) ) )")
    # reference spans (0,4) (0,2); prediction (0,4) (2,4): with "." a word, F1 = 1/2
    # (the paper metric, removing ".", would give 2/3)
    assert task.agreement(EXAMPLE.source, DOG_PAPER, pred) == pytest.approx(0.5)
    assert task.agreement(EXAMPLE.source, DOG_PAPER, task.check(EXAMPLE.source, "x")) == 0.0


def test_constraint_only_for_compact():
    task = ConstituencyTask()
    assert task.constraint("paper") is None and task.constraint("labeled") is None
    constraint = task.constraint("compact")
    state = constraint.start(EXAMPLE.source)
    assert constraint.allowed(state)


def test_plain_text_is_tokenized_penn_treebank_style():
    from mckd.tasks import get_task

    task = get_task("constituency")
    assert (task.tokenize('The cells (see Fig. 2) weren\'t "stained" in the retina.')
            == "The cells -LRB- see Fig. 2 -RRB- were n't `` stained '' in the retina .")
