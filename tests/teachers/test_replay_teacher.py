"""The ``replay`` teacher: labels joined from a JSONL file by id or by text, and a clear record
of every input the file has no label for (invalid with its reason, never dropped)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))

from pipeline_fakes import FAKE_TEACHER, TINY, tiny_config_text  # noqa: E402

from mckd.cli.main import main  # noqa: E402
from mckd.config.replay import ReplayTeacherConfig  # noqa: E402
from mckd.core.errors import DataError  # noqa: E402
from mckd.core.hashing import file_fingerprint  # noqa: E402
from mckd.core.jsonl import read_jsonl  # noqa: E402
from mckd.core.records import Example  # noqa: E402
from mckd.teachers.replay import ReplayTeacher  # noqa: E402

INPUTS = [Example("a", "The dog barked ."), Example("b", "Cats  sleep ."),
          Example("c", "It rains .")]


def write_lines(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def teacher(path: Path, **options) -> ReplayTeacher:
    return ReplayTeacher(None, ReplayTeacherConfig(path=str(path), **options))


def test_join_by_id_reports_what_did_not_join(tmp_path, caplog):
    path = write_lines(tmp_path / "labels.jsonl", [
        {"id": "a", "raw": "( ( The ) ( dog ) )", "usage": {"prompt_tokens": 9}},
        {"id": "b", "raw": "( Cats sleep )", "finish_reason": "length"},
        {"id": "z", "raw": "( unused )"},
    ])
    replay = teacher(path)
    seen = []
    with caplog.at_level(logging.WARNING):
        got = {c.id: c for c in replay.complete(INPUTS, on_result=seen.append)}
    assert len(seen) == 3
    assert got["a"].text == "( ( The ) ( dog ) )" and got["a"].usage == {"prompt_tokens": 9}
    assert got["a"].meta["replay_record"] == 1
    assert got["b"].finish_reason == "length"
    assert got["c"].finish_reason == "missing" and got["c"].text == ""
    assert "no label in the replay file labels.jsonl" in got["c"].meta["error"]
    report = replay.describe()["report"]
    assert report["joined"] == 2 and report["unjoined"] == 1
    assert report["unjoined_examples"] == [{"id": "c", "source": "It rains ."}]
    assert report["unused_records"] == 1 and report["unused_examples"] == ["z"]
    assert "'unjoined': 1" in caplog.text  # the run log says so


def test_join_by_text_collapses_whitespace_and_can_ignore_case(tmp_path):
    path = write_lines(tmp_path / "authors.jsonl", [
        {"sentence": "the dog barked .", "output": "( ( the ) ( dog ) )"},
        {"sentence": "Cats sleep .", "output": "( cats )"},
    ])
    exact = teacher(path, join="text", input_field="sentence", output_field="output")
    got = {c.id: c for c in exact.complete(INPUTS)}
    assert got["b"].text == "( cats )"  # "Cats  sleep ." matched with one space
    assert got["a"].finish_reason == "missing"
    loose = teacher(path, join="text", input_field="sentence", output_field="output",
                    lowercase=True)
    got = {c.id: c for c in loose.complete(INPUTS)}
    assert got["a"].text == "( ( the ) ( dog ) )" and loose.report["unjoined"] == 1


def test_an_mckd_labels_file_replays_as_it_is(tmp_path):
    row = {"id": "a", "source": "The dog barked .", "raw": "( x )", "target": None,
           "status": "invalid", "meta": {"finish_reason": "length",
                                         "teacher": {"demo_ids": ["g1", "g2"]}},
           "usage": {"prompt_tokens": 5, "completion_tokens": 3}}
    got = next(teacher(write_lines(tmp_path / "l.jsonl", [row])).complete(INPUTS[:1]))
    assert got.text == "( x )" and got.finish_reason == "length"
    assert got.meta["demo_ids"] == ["g1", "g2"] and got.usage["completion_tokens"] == 3


def test_conflicting_duplicates_keep_the_first_and_are_counted(tmp_path):
    path = write_lines(tmp_path / "d.jsonl", [{"id": "a", "raw": "1"}, {"id": "a", "raw": "1"},
                                               {"id": "a", "raw": "2"}])
    replay = teacher(path)
    assert [c.text for c in replay.complete(INPUTS[:1])] == ["1"]
    assert replay.report["conflicting_duplicates"] == 1


@pytest.mark.parametrize("content, options, message", [
    ('{"id": "a", "raw": "x"}\n\nnot json\n', {}, r"d.jsonl:3: not valid JSON"),
    ('[1, 2]\n', {}, r"d.jsonl:1: expected a JSON object per line"),
    (b'{"id": "a", "raw": "\xff"}\n'.decode("latin-1"), {}, "not UTF-8"),
    ('{"id": "a", "raw": "x"}\n{"id": "b", "label": "x"}\n', {},
     r"d.jsonl: record 2 has no string field 'raw' \(teacher.replay.output_field\); it has: "
     "id, label"),
    ('{"id": "a", "raw": "x"}\n', {"join": "text"}, r"no string field 'source' \(teacher.replay"
     r".input_field\)"),
    ('{"id": 7, "raw": 3}\n', {}, r"record 1 has no string field 'raw'"),
    ('{"id": "a", "raw": "x"}\n', {"sha256": "0" * 64}, "the file changed"),
])
def test_bad_files_are_named_with_the_line_and_the_fix(tmp_path, content, options, message):
    path = tmp_path / "d.jsonl"
    path.write_bytes(content.encode("latin-1" if "\xff" in content else "utf-8"))
    with pytest.raises(DataError, match=message):
        teacher(path, **options)


def test_missing_file_and_pinned_hash(tmp_path):
    with pytest.raises(DataError, match="replay file not found; check teacher.replay.path"):
        teacher(tmp_path / "nope.jsonl")
    path = write_lines(tmp_path / "ok.jsonl", [{"id": "a", "raw": "x"}])
    assert teacher(path, sha256=file_fingerprint(path).upper()).sha256 == file_fingerprint(path)


def test_run_with_replayed_labels_records_unjoined_inputs(tmp_path, capsys):
    from mckd.tasks.constituency.task import ConstituencyTask

    task = ConstituencyTask()
    unlabeled = task.load(str(TINY / "unlabeled.jsonl"))
    test = task.load(str(TINY / "test.jsonl"))
    # the file covers every unlabeled input but the first three, and no test input
    rows = [{"id": ex.id, "raw": task.gold_target(ex)} for ex in unlabeled[3:]]
    path = write_lines(tmp_path / "replayed.jsonl", rows)
    text = tiny_config_text(tmp_path / "run").replace(
        FAKE_TEACHER,
        f"teacher: {{backend: replay, replay: {{path: {path}}}}}\n")
    config = tmp_path / "run.yaml"
    config.write_text(text, encoding="utf-8")
    assert main(["run", str(config), "mckd.stages=1", "baselines.vanilla_kd=false"]) == 0
    labels = {r["id"]: r for r in read_jsonl(tmp_path / "run" / "teacher" / "labels.jsonl")}
    assert len(labels) == len(unlabeled) + len(test)
    for ex in unlabeled[:3] + test:
        row = labels[ex.id]
        assert row["status"] == "invalid" and row["target"] is None
        assert row["reason"].startswith("no label in the replay file replayed.jsonl")
    assert all(labels[ex.id]["status"] == "valid" for ex in unlabeled[3:])
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    step = manifest["steps"]["teacher"]
    assert step["counts"]["unlabeled"]["missing"] == 3
    assert step["counts"]["test"]["missing"] == len(test)
    report = step["info"]["teacher"]["report"]
    assert report["unjoined"] == 3 + len(test) and len(report["unjoined_examples"]) == 5
    assert (tmp_path / "run" / "run.log").read_text(encoding="utf-8").count("'unjoined': 15") == 1
