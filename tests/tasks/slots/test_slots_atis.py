"""ATIS from a user's copy: both layouts, multi-intent labels, pools, and errors naming the file.

``tests/fixtures/atis_mini`` holds 19 made-up ATIS-style flight queries (12 train, 3 valid,
4 test) twice: as ``seq/{train,valid,test}/{seq.in,seq.out,label}`` and as
``jsonl/{train,valid,test}.jsonl``.
"""

from __future__ import annotations

import inspect
import json
import shutil
from pathlib import Path

import pytest

from mckd.config.loading import validate_config
from mckd.core.errors import DataError
from mckd.core.jsonl import read_jsonl
from mckd.pipeline.data import load_run_data
from mckd.tasks import get_task
from mckd.tasks.slots.atis import build_atis, prepare_atis

ATIS = Path(__file__).resolve().parents[2] / "fixtures" / "atis_mini"
STEMS = ("labeled_2", "labeled_5", "unlabeled", "dev", "test")


def copy_of(tmp_path: Path, layout: str) -> Path:
    return Path(shutil.copytree(ATIS / layout, tmp_path / layout))


def rows(out: Path, stem: str) -> list[dict]:
    return list(read_jsonl(out / f"{stem}.jsonl"))


@pytest.fixture
def atis_dir(tmp_path) -> Path:
    prepare_atis(ATIS / "seq", tmp_path / "atis", seed=3, labeled=(2, 5))
    return tmp_path / "atis"


def test_seq_layout_counts_pools_and_inventory(atis_dir):
    info = json.loads((atis_dir / "dataset.json").read_text())
    assert info["counts"] == {"sentences": 19, "train": 12, "dev": 3, "test": 4,
                              "labeled_2": 2, "labeled_5": 5, "unlabeled": 7}
    assert info["task"] == "slots" and info["name"] == "atis" and info["layout"] == "seq"
    assert "fromloc.city_name" in info["slot_types"] and info["multi_intent_utterances"] == 3
    assert [s["file"] for s in info["sources"][:3]] == ["train/seq.in", "train/seq.out",
                                                         "train/label"]
    ids = {stem: [r["id"] for r in rows(atis_dir, stem)] for stem in STEMS}
    assert ids["labeled_2"] == ids["labeled_5"][:2]
    assert set(ids["labeled_5"]).isdisjoint(ids["unlabeled"])
    assert sorted(ids["test"]) == [f"atis-test-{k:05d}" for k in range(1, 5)]
    assert sorted(ids["dev"]) == [f"atis-valid-{k:05d}" for k in range(1, 4)]


def test_multi_intent_labels_are_kept_as_given(atis_dir):
    test = {r["source"]: r for r in rows(atis_dir, "test")}
    cheapest = test["cheapest flights and fares from dallas to san francisco"]
    assert cheapest["meta"] == {"file": "test/seq.in", "line": 2,
                                "intent": "atis_flight#atis_airfare"}
    assert cheapest["gold"].split()[-2:] == ["B-toloc.city_name", "I-toloc.city_name"]
    info = json.loads((atis_dir / "dataset.json").read_text())
    assert "atis_airline#atis_flight_no" in info["intents"]


def test_jsonl_layout_gives_the_same_examples(tmp_path, atis_dir):
    prepare_atis(ATIS / "jsonl", tmp_path / "j", seed=3, labeled=(2, 5))
    for stem in STEMS:
        seq = [(r["id"], r["source"], r["gold"], r["meta"]["intent"]) for r in rows(atis_dir, stem)]
        js = [(r["id"], r["source"], r["gold"], r["meta"]["intent"])
              for r in rows(tmp_path / "j", stem)]
        assert seq == js
    assert json.loads((tmp_path / "j" / "dataset.json").read_text())["layout"] == "jsonl"


def test_dev_folder_is_accepted_for_valid(tmp_path):
    src = copy_of(tmp_path, "seq")
    (src / "valid").rename(src / "dev")
    assert build_atis(src, labeled=(2,)).info["counts"]["dev"] == 3


def test_defaults_are_the_papers_pools():
    assert inspect.signature(build_atis).parameters["labeled"].default == (50, 250)
    with pytest.raises(DataError, match="too few for a labeled pool of 250"):
        build_atis(ATIS / "seq")


def test_line_count_mismatch_names_both_files_and_counts(tmp_path):
    src = copy_of(tmp_path, "seq")
    tags = src / "train" / "seq.out"
    tags.write_text("".join(tags.read_text().splitlines(keepends=True)[:-1]))
    with pytest.raises(DataError) as err:
        build_atis(src, labeled=(2,))
    assert f"{src / 'train' / 'seq.in'} has 12 lines but {tags} has 11" in str(err.value)
    assert "line-aligned" in str(err.value)


def test_tag_count_mismatch_names_file_line_and_both_counts(tmp_path):
    src = copy_of(tmp_path, "seq")
    tags = src / "valid" / "seq.out"
    lines = tags.read_text().splitlines()
    lines[1] += " O"
    tags.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"seq.out:2: 9 tags for the 8 words of .*seq.in line 2"):
        build_atis(src, labeled=(2,))


def test_bad_tag_empty_line_and_jsonl_mismatch_name_file_and_line(tmp_path):
    src = copy_of(tmp_path, "seq")
    tags = src / "test" / "seq.out"
    tags.write_text(tags.read_text().replace("B-transport_type", "transport", 1))
    with pytest.raises(DataError, match=r"test/seq.out:4: tag 'transport' is not O"):
        build_atis(src, labeled=(2,))
    words = src / "train" / "seq.in"
    lines = words.read_text().splitlines()
    lines[2] = ""
    words.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"train/seq.in:3: empty line"):
        build_atis(src, labeled=(2,))
    js = copy_of(tmp_path, "jsonl")
    row = json.loads((js / "test.jsonl").read_text().splitlines()[0])
    row["output"] += " O"
    (js / "test.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(DataError, match=r"test.jsonl:1: 'output' has 8 tags for 7 words"):
        build_atis(js, labeled=(2,))


def test_missing_folders_say_the_expected_layouts(tmp_path):
    with pytest.raises(DataError, match="ATIS folder not found; expected either folders train/"):
        build_atis(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"neither train/seq.in nor train.jsonl.*pass the folder"):
        build_atis(tmp_path / "empty")
    src = copy_of(tmp_path, "seq")
    shutil.rmtree(src / "test")
    with pytest.raises(DataError, match=r"has train/seq.in but no test/seq.in; expected"):
        build_atis(src)


def test_missing_label_file_gives_examples_without_intent(tmp_path):
    src = copy_of(tmp_path, "seq")
    (src / "test" / "label").unlink()
    dataset = build_atis(src, labeled=(2,))
    assert all("intent" not in ex.meta for ex in dataset.files["test"])


def test_the_pipeline_loads_the_directory_unchanged(atis_dir):
    config = validate_config({"name": "atis", "task": {"name": "slots"},
                              "data": {"path": str(atis_dir), "labeled": "labeled_5",
                                       "dev": "dev"}})
    task = get_task("slots")
    data = load_run_data(config, task)
    assert {role: len(r) for role, r in data.splits.items()} == {
        "labeled": 5, "unlabeled": 7, "test": 4, "dev": 3}
    info = json.loads((atis_dir / "dataset.json").read_text())
    assert task.options() == {"slot_types": info["slot_types"]}  # adopted from dataset.json
    example = data.test[0]
    assert task.gold_target(example).split() == [
        tok for pair in zip(example.source.split(), example.gold.split()) for tok in pair]
