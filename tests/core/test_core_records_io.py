"""Records round-trip through JSONL; JSONL errors name file and line; writes are atomic."""

from __future__ import annotations

import json

import pytest

from mckd.core.errors import DataError
from mckd.core.hashing import fingerprint, stable_seed
from mckd.core.jsonl import read_jsonl, write_json, write_jsonl
from mckd.core.records import Checked, Completion, Example, Pseudolabel, Status
from mckd.core.registry import Registry
from mckd.core.errors import ConfigError


def test_records_round_trip_through_jsonl(tmp_path):
    ex = Example(id="a1", source="The dog", gold="(S (DT The) (NN dog))", meta={"line": 3})
    pl = Pseudolabel(id="a1", source="The dog", raw="( ( The ) ( dog )", target="( ( The ) ( dog ) )",
                     status=Status.REPAIRED, reason="added 1 closing bracket", origin="teacher")
    comp = Completion(id="a1", text="x", finish_reason="length", usage={"prompt_tokens": 3})
    path = tmp_path / "r.jsonl"
    write_jsonl(path, [ex.to_dict(), pl.to_dict(), comp.to_dict()])
    rows = list(read_jsonl(path))
    assert Example.from_dict(rows[0]) == ex
    back = Pseudolabel.from_dict(rows[1])
    assert back == pl and back.status is Status.REPAIRED
    assert rows[1]["status"] == "repaired"  # enums are stored as plain strings
    assert Completion.from_dict(rows[2]) == comp
    assert Checked.from_dict({"raw": "", "target": None, "status": "invalid", "reason": "empty"}).status is Status.INVALID


def test_read_jsonl_names_the_bad_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1}\n\n{"id": 2\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.jsonl:3: not valid JSON"):
        list(read_jsonl(path))


def test_read_jsonl_rejects_non_objects_missing_files_and_bad_encoding(tmp_path):
    path = tmp_path / "list.jsonl"
    path.write_text("[1, 2]\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"list\.jsonl:1: expected a JSON object"):
        list(read_jsonl(path))
    with pytest.raises(DataError, match="file not found"):
        list(read_jsonl(tmp_path / "nope.jsonl"))
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes('{"source": "caf\xe9"}\n'.encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        list(read_jsonl(latin))


def test_atomic_write_keeps_old_file_when_writer_fails(tmp_path):
    path = tmp_path / "out.jsonl"
    write_jsonl(path, [{"a": 1}])

    def rows():
        yield {"a": 2}
        raise RuntimeError("crash mid-write")

    with pytest.raises(RuntimeError):
        write_jsonl(path, rows())
    assert [r for r in read_jsonl(path)] == [{"a": 1}]
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]  # no temp files left behind
    write_json(tmp_path / "m.json", {"b": [1, 2]})
    assert json.loads((tmp_path / "m.json").read_text()) == {"b": [1, 2]}


def test_fingerprints_are_order_insensitive_for_keys_and_seeds_stable():
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})
    assert stable_seed(13, "ex-1") == stable_seed(13, "ex-1")
    assert stable_seed(13, "ex-1") != stable_seed(13, "ex-2")


def test_registry_lazy_import_and_unknown_name_lists_choices():
    reg = Registry("thing")
    reg.register("json", "json:dumps")
    assert reg.get("json")([1]) == "[1]"
    with pytest.raises(ConfigError, match="unknown thing 'yaml'; valid choices: json"):
        reg.get("yaml")


def test_written_files_are_readable_by_others_like_plain_open(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [{"a": 1}])
    write_json(tmp_path / "b.json", {})
    (tmp_path / "c.txt").write_text("x")
    plain = (tmp_path / "c.txt").stat().st_mode & 0o777
    assert (tmp_path / "a.jsonl").stat().st_mode & 0o777 == plain
    assert (tmp_path / "b.json").stat().st_mode & 0o777 == plain
