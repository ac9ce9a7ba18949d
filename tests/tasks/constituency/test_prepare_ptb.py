"""The Penn Treebank protocol on a miniature WSJ copy: sections, pools, drops, layouts, errors.

``tests/fixtures/ptb_mini`` is hand-written (made-up sentences, no LDC data) in the LDC
Treebank-3 layout: multi-line trees, several per file, in sections 00, 02, 03, 21, 22, 23, 24.
"""

from __future__ import annotations

import inspect
import json
import shutil
from pathlib import Path

import pytest
from nltk import Tree

from mckd.config.loading import validate_config
from mckd.core.errors import ConfigError, DataError
from mckd.core.jsonl import read_jsonl
from mckd.core.records import Example
from mckd.pipeline.data import load_run_data
from mckd.tasks import get_task
from mckd.tasks.constituency.prepare import EMPTY_AFTER_NORMALISATION
from mckd.tasks.constituency.ptb import build_ptb, prepare_ptb
from mckd.tasks.constituency.treebank import normalize_tree, read_treebank, tree_to_line

PTB = Path(__file__).resolve().parents[2] / "fixtures" / "ptb_mini"
WSJ = PTB / "parsed" / "mrg" / "wsj"
STEMS = ("labeled_2", "labeled_5", "unlabeled", "dev", "test")


def load(out: Path) -> tuple[dict, dict[str, list[Example]]]:
    info = json.loads((out / "dataset.json").read_text(encoding="utf-8"))
    files = {stem: [Example.from_dict(row) for row in read_jsonl(out / f"{stem}.jsonl")]
             for stem in info["files"]}
    return info, files


def flat_copy(tmp_path: Path, sections=None) -> Path:
    """Every fixture .mrg file (or those of ``sections``) in one flat folder."""
    flat = tmp_path / "flat"
    flat.mkdir()
    for path in WSJ.glob("*/*.mrg"):
        if sections is None or path.parent.name in sections:
            shutil.copy(path, flat / path.name)
    return flat


@pytest.fixture
def ptb_dir(tmp_path) -> Path:
    prepare_ptb(PTB, tmp_path / "ptb", seed=7, labeled=(2, 5), unlabeled=4)
    return tmp_path / "ptb"


def test_counts_drops_and_missing_sections(ptb_dir):
    info, files = load(ptb_dir)
    # train: 13 trees in sections 02, 03, 21, one of them only -NONE- elements
    assert info["counts"] == {"sentences": 19, "train": 12, "dev": 3, "test": 4, "labeled_2": 2,
                              "labeled_5": 5, "unlabeled": 4, "train_not_drawn": 3}
    assert info["dropped"] == {EMPTY_AFTER_NORMALISATION: 1}
    assert list(files) == list(STEMS)
    assert info["sections"]["missing_train_sections"] == [f"{s:02d}" for s in range(4, 21)]
    assert info["reading"]["trees_read"] == 20 and info["reading"]["files_read"] == 7
    assert info["task"] == "constituency" and info["name"] == "ptb" and info["seed"] == 7
    assert [s["role"] for s in info["sources"]] == ["train", "dev", "test"]
    assert info["sources"][0]["file"] == "WSJ sections 02-21: 4 .mrg files"


def test_sections_decide_the_split_and_pools_are_nested(ptb_dir):
    _, files = load(ptb_dir)
    sections = {stem: {ex.meta["section"] for ex in rows} for stem, rows in files.items()}
    assert sections["labeled_5"] | sections["unlabeled"] <= {"02", "03", "21"}
    assert sections["dev"] == {"22"} and sections["test"] == {"23"}
    ids = {stem: [ex.id for ex in rows] for stem, rows in files.items()}
    assert ids["labeled_2"] == ids["labeled_5"][:2]
    groups = [set(ids["labeled_5"]), set(ids["unlabeled"]), set(ids["dev"]), set(ids["test"])]
    assert sum(map(len, groups)) == len(set().union(*groups)) == 16
    assert "wsj_0301-002" not in set().union(*groups)  # the tree of -NONE- elements only


def test_examples_are_normalised_multi_line_trees_with_provenance(ptb_dir):
    _, files = load(ptb_dir)
    for ex in [e for rows in files.values() for e in rows]:
        path = WSJ / ex.meta["section"] / ex.meta["file"]
        assert ex.id == f"{path.stem}-{ex.meta['tree']:03d}"
        read = read_treebank(path)
        line, raw = read.trees[read.numbers.index(ex.meta["tree"])]
        assert line == ex.meta["line"]
        assert ex.gold == tree_to_line(normalize_tree(raw))
        assert ex.source == " ".join(Tree.fromstring(ex.gold).leaves())
        assert "-NONE-" not in ex.gold and "-SBJ" not in ex.gold


def test_same_seed_same_bytes_and_the_seed_draws_the_pools(tmp_path, ptb_dir):
    prepare_ptb(PTB, tmp_path / "again", seed=7, labeled=(2, 5), unlabeled=4)
    for name in (*(f"{s}.jsonl" for s in STEMS), "dataset.json"):
        assert (ptb_dir / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
    prepare_ptb(PTB, tmp_path / "other", seed=8, labeled=(2, 5), unlabeled=4)
    assert (ptb_dir / "labeled_5.jsonl").read_bytes() != (
        tmp_path / "other" / "labeled_5.jsonl").read_bytes()


def test_flat_folder_and_section_folders_give_the_same_dataset(tmp_path, ptb_dir):
    prepare_ptb(flat_copy(tmp_path), tmp_path / "flat_out", seed=7, labeled=(2, 5), unlabeled=4)
    prepare_ptb(WSJ, tmp_path / "wsj_out", seed=7, labeled=(2, 5), unlabeled=4)
    for stem in STEMS:
        expected = (ptb_dir / f"{stem}.jsonl").read_bytes()
        assert (tmp_path / "flat_out" / f"{stem}.jsonl").read_bytes() == expected
        assert (tmp_path / "wsj_out" / f"{stem}.jsonl").read_bytes() == expected
    assert json.loads((tmp_path / "flat_out" / "dataset.json").read_text())["sections"][
        "layout"] == "flat"


def test_defaults_are_the_papers_50_250_and_20000():
    params = inspect.signature(build_ptb).parameters
    assert params["labeled"].default == (50, 250) and params["unlabeled"].default == 20_000
    with pytest.raises(DataError, match="too few for a labeled pool of 250"):
        build_ptb(PTB)


def test_unlabeled_pool_larger_than_train_names_the_option():
    with pytest.raises(DataError, match="unlabeled pool of 8; ask for at most 7.*--unlabeled 7"):
        build_ptb(PTB, labeled=(2, 5), unlabeled=8)
    with pytest.raises(ConfigError, match="positive integer"):
        build_ptb(PTB, labeled=(2, 5), unlabeled=0)


def test_missing_folder_or_section_says_the_expected_layout(tmp_path):
    with pytest.raises(DataError, match="not found; expected the LDC Treebank-3 layout"):
        build_ptb(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no .mrg files found.*parsed/mrg/wsj/SS"):
        build_ptb(tmp_path / "empty")
    partial = flat_copy(tmp_path, sections={"02", "22"})
    with pytest.raises(DataError, match=r"no test section \(23\).*sections found: 02, 22"):
        build_ptb(partial, labeled=(1,), unlabeled=1)


def test_flat_file_without_a_section_in_its_name_is_refused(tmp_path):
    flat = flat_copy(tmp_path)
    shutil.copy(flat / "wsj_0201.mrg", flat / "extra.mrg")
    with pytest.raises(DataError, match="section of 'extra.mrg'.*wsj_SSNN.mrg"):
        build_ptb(flat, labeled=(2, 5), unlabeled=4)


def test_malformed_tree_names_file_and_line_or_is_skipped_and_counted(tmp_path):
    flat = flat_copy(tmp_path)
    path = flat / "wsj_2101.mrg"
    path.write_text(path.read_text().replace("(NNS bonds)", "(NNS bonds", 1))
    with pytest.raises(DataError, match=r"wsj_2101.mrg:1: malformed tree"):
        build_ptb(flat, labeled=(2, 5), unlabeled=4)
    dataset = build_ptb(flat, labeled=(2, 5), unlabeled=3, on_error="skip")
    assert dataset.info["counts"]["train"] == 11
    assert dataset.info["dropped"]["malformed, skipped (--skip-malformed)"] == 1
    assert dataset.info["reading"]["malformed_skipped"][0]["file"] == "wsj_2101.mrg"


def test_the_pipeline_loads_the_directory_unchanged(ptb_dir):
    config = validate_config({"name": "ptb", "task": {"name": "constituency"},
                              "data": {"path": str(ptb_dir), "labeled": "labeled_5",
                                       "dev": "dev"}})
    task = get_task("constituency")
    data = load_run_data(config, task)
    assert {role: len(rows) for role, rows in data.splits.items()} == {
        "labeled": 5, "unlabeled": 4, "test": 4, "dev": 3}
    assert task.gold_target(data.test[0]).startswith("( ")


def test_ldc_banner_lines_between_trees_are_skipped(tmp_path, ptb_dir):
    flat = flat_copy(tmp_path)
    path = flat / "wsj_0201.mrg"
    banner = "*x*" + " " * 20 + "*x*\n*x*  Copyright (C) 1990 University of Pennsylvania  *x*\n"
    path.write_text(banner + "\n" + path.read_text())
    prepare_ptb(flat, tmp_path / "out", seed=7, labeled=(2, 5), unlabeled=4)
    before = {r["id"]: r["gold"] for r in read_jsonl(ptb_dir / "labeled_5.jsonl")}
    after = {r["id"]: r["gold"] for r in read_jsonl(tmp_path / "out" / "labeled_5.jsonl")}
    assert after == before
