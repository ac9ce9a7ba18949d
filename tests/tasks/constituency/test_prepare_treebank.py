"""Dataset directories from treebanks: counts, nesting, disjointness, determinism, provenance."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from nltk import Tree

from mckd.core.errors import ConfigError, DataError
from mckd.core.hashing import file_fingerprint
from mckd.core.jsonl import read_jsonl
from mckd.core.records import Example
from mckd.tasks.constituency.craft import prepare_craft
from mckd.tasks.constituency.prepare import prepare_treebank
from mckd.tasks.constituency.treebank import normalize_tree, tree_to_line

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TREES = FIXTURES / "craft_mini" / "trees.txt"
INDEX = FIXTURES / "craft_mini" / "index.tsv"
STEMS = ("labeled_5", "labeled_10", "unlabeled", "dev", "test")


def load(out: Path) -> tuple[dict, dict[str, list[Example]]]:
    info = json.loads((out / "dataset.json").read_text(encoding="utf-8"))
    files = {stem: [Example.from_dict(row) for row in read_jsonl(out / f"{stem}.jsonl")]
             for stem in info["files"]}
    return info, files


@pytest.fixture
def craft_dir(tmp_path) -> Path:
    prepare_craft(TREES, INDEX, tmp_path / "craft", seed=7, labeled=(5, 10))
    return tmp_path / "craft"


def test_craft_protocol_counts_and_drop_reasons(craft_dir):
    info, files = load(craft_dir)
    # 45 fixture trees come from the original 67 articles, 6 of them one-word headings
    assert info["counts"] == {"sentences": 39, "train": 19, "dev": 3, "test": 17,
                              "labeled_5": 5, "labeled_10": 10, "unlabeled": 9}
    assert info["dropped"] == {"fewer than 2 tokens": 6,
                               "not in the original 67 CRAFT articles (v4 additions)": 14}
    assert list(files) == list(STEMS)
    assert {stem: len(rows) for stem, rows in files.items()} == {
        stem: info["counts"][stem] for stem in STEMS}
    assert info["task"] == "constituency" and info["seed"] == 7
    assert info["reading"]["non_ascii_spaces_removed_from_words"] == 2  # CRAFT lines 6020, 17490


def test_pools_are_nested_and_splits_disjoint(craft_dir):
    _, files = load(craft_dir)
    ids = {stem: [ex.id for ex in rows] for stem, rows in files.items()}
    assert ids["labeled_5"] == ids["labeled_10"][:5]
    groups = [set(ids["labeled_10"]), set(ids["unlabeled"]), set(ids["dev"]), set(ids["test"])]
    assert sum(len(g) for g in groups) == len(set().union(*groups)) == 39


def test_examples_carry_source_gold_and_provenance(craft_dir):
    _, files = load(craft_dir)
    trees = TREES.read_text(encoding="utf-8").splitlines()
    for ex in [e for rows in files.values() for e in rows]:
        pmid, sent = ex.id.split("-")[1:]
        assert ex.meta["pmid"] == pmid and len(sent) == 4
        gold = Tree.fromstring(ex.gold)
        raw = re.sub("[\u2009\u200a]", "", trees[ex.meta["line"] - 1])
        assert gold == normalize_tree(Tree.fromstring(raw))
        assert ex.source == " ".join(gold.leaves()) and len(gold.leaves()) > 1
        assert tree_to_line(gold) == ex.gold


def test_same_inputs_and_seed_give_byte_identical_files(tmp_path, craft_dir):
    prepare_craft(TREES, INDEX, tmp_path / "again", seed=7, labeled=(5, 10))
    names = sorted(p.name for p in craft_dir.iterdir())
    assert names == sorted(p.name for p in (tmp_path / "again").iterdir())
    for name in names:
        assert (craft_dir / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
    prepare_craft(TREES, INDEX, tmp_path / "other", seed=8, labeled=(5, 10))
    other = (tmp_path / "other" / "test.jsonl").read_bytes()
    assert other != (craft_dir / "test.jsonl").read_bytes()


def test_dataset_json_fingerprints_sources_and_outputs(craft_dir):
    info, _ = load(craft_dir)
    assert [(s["role"], s["file"], s["sha256"]) for s in info["sources"]] == [
        ("treebank", "trees.txt", file_fingerprint(TREES)),
        ("index", "index.tsv", file_fingerprint(INDEX))]
    for entry in info["files"].values():
        assert entry["sha256"] == file_fingerprint(craft_dir / entry["path"])
    assert any("never trains" in note for note in info["notes"])


def test_generic_treebank_reads_multiline_files_and_filters_length(tmp_path):
    info = prepare_treebank(FIXTURES / "craft_multiline.mrg", tmp_path / "ml", seed=1,
                            labeled=(), split=(0.5, 0.0, 0.5), min_tokens=2, max_tokens=40)
    assert info["name"] == "craft_multiline"
    assert info["dropped"] == {"fewer than 2 tokens": 2, "more than 40 tokens": 1}
    assert info["counts"]["sentences"] == 2
    _, files = load(tmp_path / "ml")
    assert {ex.id for rows in files.values() for ex in rows} <= {
        f"craft_multiline-{n:06d}" for n in range(1, 6)}


def test_skipped_malformed_trees_are_counted_with_their_lines(tmp_path):
    lines = TREES.read_text(encoding="utf-8").splitlines()[:40]
    lines[9] = lines[9][:-3]  # drop closing brackets of line 10
    path = tmp_path / "broken.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"broken.txt:10: malformed tree"):
        prepare_treebank(path, tmp_path / "out", labeled=(2,))
    info = prepare_treebank(path, tmp_path / "out", labeled=(2,), on_error="skip")
    assert info["dropped"]["malformed, skipped (--skip-malformed)"] == 1
    assert info["reading"]["malformed_skipped"][0]["line"] == 10
    assert info["counts"]["sentences"] + sum(info["dropped"].values()) == 40
    _, files = load(tmp_path / "out")
    by_id = {ex.id: ex for rows in files.values() for ex in rows}
    assert by_id["broken-000011"].meta == {"file": "broken.txt", "line": 11, "tree": 11}
    assert "broken-000010" not in by_id


def test_bad_options_and_too_little_data_are_user_errors(tmp_path):
    with pytest.raises(ConfigError, match="summing to 1"):
        prepare_craft(TREES, INDEX, tmp_path / "a", split=(0.5, 0.5, 0.5))
    with pytest.raises(ConfigError, match="distinct positive"):
        prepare_craft(TREES, INDEX, tmp_path / "b", labeled=(5, 5))
    with pytest.raises(DataError, match="too few for a labeled pool of 250"):
        prepare_craft(TREES, INDEX, tmp_path / "c")


def test_refuses_to_write_into_a_foreign_directory(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(DataError, match="not empty and has no dataset.json"):
        prepare_craft(TREES, INDEX, tmp_path / "mine", labeled=(5,))
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_index_must_describe_the_treebank(tmp_path):
    short = tmp_path / "index.tsv"
    short.write_text("\n".join(INDEX.read_text().splitlines()[:30]) + "\n")
    with pytest.raises(DataError, match="no row for treebank line 30"):
        prepare_craft(TREES, short, tmp_path / "out", labeled=(5,))
    headless = tmp_path / "bad.tsv"
    headless.write_text("line\tpmid\n1\t123\n")
    with pytest.raises(DataError, match="lacks column"):
        prepare_craft(TREES, headless, tmp_path / "out", labeled=(5,))
