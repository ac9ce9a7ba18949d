"""The seeded split: sizes, nesting, disjointness, prefix property, drawn unlabeled pools,
pre-split corpora, and the writer's id checks."""

from __future__ import annotations

import pytest

from mckd.core.errors import ConfigError, DataError
from mckd.core.records import Example
from mckd.data_prep.dataset_dir import PreparedDataset, write_dataset_dir
from mckd.data_prep.splits import presplit_files, split_examples


def corpus(n: int) -> list[Example]:
    return [Example(id=f"s{i:05d}", source=f"w{i} x", gold=f"(S (NN w{i}) (NN x))")
            for i in range(n)]


@pytest.mark.slow  # a corpus the size of CRAFT
def test_paper_sizes_on_a_corpus_the_size_of_craft():
    files = split_examples(corpus(21_121), seed=13)
    assert {stem: len(rows) for stem, rows in files.items()} == {
        "labeled_50": 50, "labeled_250": 250, "unlabeled": 10_310, "dev": 2_112, "test": 8_449}


def test_nested_pools_disjoint_splits_and_nothing_lost():
    examples = corpus(1000)
    files = split_examples(examples, seed=3, labeled=(250, 50, 100))
    assert list(files) == ["labeled_50", "labeled_100", "labeled_250", "unlabeled", "dev", "test"]
    assert files["labeled_50"] == files["labeled_100"][:50] == files["labeled_250"][:50]
    parts = [files["labeled_250"], files["unlabeled"], files["dev"], files["test"]]
    ids = [ex.id for part in parts for ex in part]
    assert len(ids) == len(set(ids)) == 1000


def test_seed_decides_the_order_and_nothing_else_does():
    a = split_examples(corpus(600), seed=1)
    assert a == split_examples(corpus(600), seed=1)
    assert a["test"] != split_examples(corpus(600), seed=2)["test"]


def test_fraction_rounding_does_not_lose_a_sentence():
    files = split_examples(corpus(100), seed=0, split=(0.29, 0.31, 0.40), labeled=(5,))
    assert len(files["labeled_5"]) + len(files["unlabeled"]) == 29
    assert len(files["dev"]) == 31 and len(files["test"]) == 40


def test_writer_rejects_an_example_in_two_splits(tmp_path):
    ex = corpus(3)
    dataset = PreparedDataset(files={"unlabeled": ex[:2], "test": ex[1:]})
    with pytest.raises(DataError, match="is in both unlabeled and test"):
        write_dataset_dir(tmp_path / "d", dataset)
    dataset = PreparedDataset(files={"labeled_1": ex[:1], "unlabeled": ex[:1]})
    with pytest.raises(DataError, match="in both labeled_1 and unlabeled"):
        write_dataset_dir(tmp_path / "d", dataset)


def test_unlabeled_pool_is_a_seeded_draw_from_the_rest_of_train():
    full = split_examples(corpus(1000), seed=5)
    drawn = split_examples(corpus(1000), seed=5, unlabeled=100)
    assert drawn["unlabeled"] == full["unlabeled"][:100]  # a prefix of the shuffled rest
    assert drawn["labeled_250"] == full["labeled_250"] and drawn["test"] == full["test"]
    with pytest.raises(DataError, match="at most 250 unlabeled"):
        split_examples(corpus(1000), seed=5, unlabeled=251)
    with pytest.raises(ConfigError, match="positive integer"):
        split_examples(corpus(1000), seed=5, unlabeled=-1)


def test_presplit_files_keep_dev_and_test_whole_in_a_seeded_order():
    train, dev, test = corpus(300), corpus(320)[300:310], corpus(330)[310:330]
    files = presplit_files(train, dev, test, seed=2, labeled=(5, 10), unlabeled=50)
    assert {stem: len(rows) for stem, rows in files.items()} == {
        "labeled_5": 5, "labeled_10": 10, "unlabeled": 50, "dev": 10, "test": 20}
    assert sorted(files["test"], key=lambda ex: ex.id) == test and files["test"] != test
    assert files == presplit_files(train, dev, test, seed=2, labeled=(5, 10), unlabeled=50)
