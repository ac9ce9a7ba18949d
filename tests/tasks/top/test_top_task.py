"""TopTask: registration, loading with clear errors, formats, the shipped demo."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mckd.config.schema import builtin_data_root
from mckd.core.errors import ConfigError, DataError
from mckd.core.records import Example
from mckd.tasks import get_task
from mckd.tasks.top.task import TopTask

ROW = {"id": "t1", "source": "a b c", "gold": "[IN:A a [SL:B b ] c ]"}


def write_rows(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return str(path)


def test_registered_and_cheap_to_import():
    assert isinstance(get_task("top"), TopTask)
    code = "import mckd.tasks.top, sys; print('nltk' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_load_reads_examples(tmp_path):
    path = write_rows(tmp_path / "d.jsonl", [ROW, "", {"id": "u", "source": "x y"}])
    assert TopTask().load(path) == [Example(**ROW), Example(id="u", source="x y")]


@pytest.mark.parametrize("row, message", [
    ({"id": "x", "gold": "[IN:A a ]"}, "field 'source' must be a non-empty string"),
    ({"id": "x", "source": "a b", "gold": "[IN:A a [SL:B b ]"}, "added 1 closing bracket"),
    ({"id": "x", "source": "a b", "gold": "[IN:A a [XX:B b ] ]"}, "label 'XX:B' is not"),
    ({"id": "x", "source": "a c", "gold": "[IN:A a b ]"}, "aligned leaves to input"),
    ({"id": "x", "source": "a b", "gold": "[SL:A a b ]"}, "the root is 'SL:A'"),
    ({"source": "a b", "gold": "[IN:A a b ]"}, "field 'id' must be a non-empty string"),
    ({"id": "x", "source": "a b c", "gold": "[IN:A a b ]"}, "1 inserted"),
])
def test_load_errors_name_file_and_line(tmp_path, row, message):
    path = write_rows(tmp_path / "bad.jsonl", [ROW, "", row])
    with pytest.raises(DataError, match=message) as info:
        TopTask().load(path)
    assert str(info.value).startswith(f"{path}:3: ")
    assert "well-formed TOP tree" in str(info.value) or "non-empty" in str(info.value)


@pytest.mark.parametrize("gold, message", [
    ("[IN:ZZZ a [SL:B b ] ]", "gold intent label 'IN:ZZZ' is not in the label inventory"),
    ("[IN:A a [SL:C b ] ]", "gold slot label 'SL:C' is not in the label inventory"),
])
def test_gold_labels_outside_the_dataset_inventory_are_errors(tmp_path, gold, message):
    path = write_rows(tmp_path / "d.jsonl", [ROW, {"id": "x", "source": "a b", "gold": gold}])
    (tmp_path / "dataset.json").write_text(json.dumps(
        {"labels": {"intents": ["IN:A"], "slots": ["SL:B"]}}))
    with pytest.raises(DataError, match=message) as info:
        TopTask().load(path)
    assert str(info.value).startswith(f"{path}:2: ") and "dataset.json" in str(info.value)
    assert "add it there or fix the tree" in str(info.value)
    (tmp_path / "dataset.json").unlink()  # without an inventory any label goes
    assert len(TopTask().load(path)) == 2


def test_gold_labels_outside_the_option_inventory_are_errors(tmp_path):
    path = write_rows(tmp_path / "d.jsonl", [ROW])
    with pytest.raises(DataError, match="slot label 'SL:B' .* task.options.intents/slots"):
        get_task("top", intents=["IN:A"], slots=["SL:Z"]).load(path)
    assert get_task("top", intents=["IN:A"], slots=["SL:B"]).load(path) == [Example(**ROW)]


def test_formats_and_conversion():
    task, ex = TopTask(), Example(**ROW)
    assert task.gold_target(ex) == ROW["gold"]
    assert task.gold_target(ex, "compact") == "[IN:A X [SL:B X ] X ]"
    assert task.convert("a b c", ROW["gold"], "compact") == "[IN:A X [SL:B X ] X ]"
    with pytest.raises(ConfigError, match="valid choices: tree, compact"):
        task.check("a", "[IN:A a ]", "paper")
    assert task.constraint("tree") is None


def test_the_shipped_demo_loads_and_round_trips():
    task = TopTask()
    root = builtin_data_root() / "top_demo"
    sizes = {stem: len(task.load(str(root / f"{stem}.jsonl")))
             for stem in ("labeled_50", "labeled_250", "unlabeled", "dev", "test")}
    assert sizes == {"labeled_50": 50, "labeled_250": 250, "unlabeled": 3712, "dev": 200,
                     "test": 400}
    test = task.load(str(root / "test.jsonl"))
    for fmt in task.target_formats:
        preds = [task.check(ex.source, task.gold_target(ex, fmt), fmt) for ex in test]
        assert task.score(test, preds)["exact_match"] == 100.0
    assert (root / "ATTRIBUTION.md").is_file() and (root / "LICENSE.txt").is_file()


def _admitted(con, source):
    out = set()

    def walk(state, prefix):
        allowed = con.allowed(state)
        assert allowed  # never a dead end
        for sym in allowed:
            if sym == con.EOS:
                out.add(" ".join(prefix))
            else:
                walk(con.advance(state, sym), [*prefix, sym])

    walk(con.start(source), [])
    return out


def test_compact_constraint_admits_exactly_the_well_formed_trees():
    from mckd.tasks.top.constraint import TreeConstraint

    shallow = TreeConstraint(["IN:A"], ["SL:B"], max_depth=2)
    assert _admitted(shallow, "w1 w2") == {  # by hand: every way to slot two words
        "[IN:A X X ]", "[IN:A [SL:B X ] X ]", "[IN:A X [SL:B X ] ]",
        "[IN:A [SL:B X ] [SL:B X ] ]", "[IN:A [SL:B X X ] ]"}
    task = TopTask(intents=["IN:A", "IN:C"], slots=["SL:B"])
    deep = _admitted(TreeConstraint(task.intents, task.slots, max_depth=4), "w1 w2 w3")
    assert "[IN:C [SL:B [IN:A X [SL:B X ] ] ] X ]" in deep and len(deep) > 100
    for text in deep:
        assert task.check("w1 w2 w3", text, "compact").status.value == "valid", text


def test_the_inventory_comes_from_options_or_dataset_json(tmp_path):
    assert TopTask().constraint("compact") is None
    path = write_rows(tmp_path / "d.jsonl", [ROW])
    (tmp_path / "dataset.json").write_text(json.dumps(
        {"labels": {"intents": ["IN:A"], "slots": ["SL:B"]}}))
    task = TopTask()
    task.load(path)
    assert (task.intents, task.slots) == ({"IN:A"}, {"SL:B"})
    assert TopTask(intents=["IN:Z"]).intents == {"IN:Z"}
    with pytest.raises(ConfigError, match="'SL:B' is not a IN:<NAME> label"):
        TopTask(intents=["SL:B"])
