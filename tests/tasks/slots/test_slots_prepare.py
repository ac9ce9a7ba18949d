"""``mckd data snips``: the paper-style pools, printed counts, clear errors on bad source rows."""

from __future__ import annotations

import json

from mckd.cli.main import main
from mckd.config.schema import builtin_data_root
from mckd.core.jsonl import read_jsonl
from mckd.tasks.slots.task import SlotFillingTask


def write_source(folder, n_train=12, n_valid=4, n_test=5):
    """SNIPS-style source files made of shipped demo examples."""
    demo = list(read_jsonl(builtin_data_root() / "snips_demo" / "unlabeled.jsonl"))
    folder.mkdir()
    start = 0
    for name, n in (("train", n_train), ("valid", n_valid), ("test", n_test)):
        rows = [{"input": r["source"], "output": r["gold"], "intent": r["meta"]["intent"]}
                for r in demo[start:start + n]]
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        start += n
    return folder


def test_data_snips_builds_the_pools_and_prints_counts(tmp_path, capsys):
    src, out = write_source(tmp_path / "snips"), tmp_path / "out"
    assert main(["data", "snips", "--dir", str(src), "--out", str(out), "--labeled", "3,5"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("snips: 21 sentences (train 12, dev 4, test 5)")
    assert "labeled_5.jsonl" in printed and f"wrote {out}/" in printed
    info = json.loads((out / "dataset.json").read_text())
    assert info["counts"]["unlabeled"] == 7 and info["task"] == "slots"
    task = SlotFillingTask()
    labeled_3, labeled_5 = (task.load(str(out / f"labeled_{k}.jsonl")) for k in (3, 5))
    unlabeled = task.load(str(out / "unlabeled.jsonl"))
    assert labeled_5[:3] == labeled_3  # nested pools
    assert {e.id for e in labeled_5}.isdisjoint(e.id for e in unlabeled)
    assert task.slot_types == set(info["slot_types"])
    assert all(e.meta["intent"] for e in unlabeled)
    test_ids = {e.id for e in task.load(str(out / "test.jsonl"))}
    assert test_ids == {f"snips-test-{i:05d}" for i in range(1, 6)}  # test = test, all of it


def test_same_seed_same_files_other_seed_other_pools(tmp_path):
    src = write_source(tmp_path / "snips")
    for name, seed in (("a", "1"), ("b", "1"), ("c", "2")):
        assert main(["data", "snips", "--dir", str(src), "--out", str(tmp_path / name),
                     "--labeled", "3", "--seed", seed]) == 0
    a, b, c = ((tmp_path / name / "labeled_3.jsonl").read_bytes() for name in "abc")
    assert a == b and a != c


def test_tag_count_mismatch_exits_2_naming_file_and_line(tmp_path, capsys):
    src = write_source(tmp_path / "snips")
    lines = (src / "train.jsonl").read_text().splitlines()
    row = json.loads(lines[3])
    row["output"] = " ".join(row["output"].split()[:-1])
    lines[3] = json.dumps(row)
    (src / "train.jsonl").write_text("\n".join(lines) + "\n")
    assert main(["data", "snips", "--dir", str(src), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{src / 'train.jsonl'}:4: 'output' has" in err and "give one per word" in err


def test_missing_field_and_missing_file_exit_2(tmp_path, capsys):
    src = write_source(tmp_path / "snips")
    (src / "valid.jsonl").write_text('{"input": "a b"}\n')
    assert main(["data", "snips", "--dir", str(src), "--out", str(tmp_path / "o")]) == 2
    assert "valid.jsonl:1: field 'output' must be a non-empty string" in capsys.readouterr().err
    (src / "valid.jsonl").unlink()
    assert main(["data", "snips", "--dir", str(src), "--out", str(tmp_path / "o")]) == 2
    assert "valid.jsonl: file not found" in capsys.readouterr().err
