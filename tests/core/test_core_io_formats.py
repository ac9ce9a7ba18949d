"""Records move between JSONL and Hugging Face dataset folders without loss."""

from __future__ import annotations

import pytest

from mckd.core.errors import DataError
from mckd.core.io import read_records, write_records

ROWS = [
    {"id": "a", "source": "The dog barked", "gold": None, "meta": {"line": 1}},
    {"id": "b", "source": "Cats sleep", "gold": None, "meta": {"line": 2}},
]


def test_jsonl_and_hf_round_trip(tmp_path):
    pytest.importorskip("datasets")
    write_records(tmp_path / "x.jsonl", ROWS)
    assert read_records(tmp_path / "x.jsonl") == ROWS
    write_records(tmp_path / "hf", ROWS, fmt="hf")
    assert read_records(tmp_path / "hf") == ROWS


def test_dataset_dict_and_plain_folder_get_clear_errors(tmp_path):
    datasets = pytest.importorskip("datasets")
    datasets.DatasetDict({"train": datasets.Dataset.from_list(ROWS)}).save_to_disk(str(tmp_path / "dd"))
    with pytest.raises(DataError, match=r"DatasetDict with splits \[train\]"):
        read_records(tmp_path / "dd")
    (tmp_path / "plain").mkdir()
    with pytest.raises(DataError, match="not a saved Hugging Face dataset"):
        read_records(tmp_path / "plain")
    with pytest.raises(DataError, match="unknown format 'csv'"):
        write_records(tmp_path / "y", ROWS, fmt="csv")
