"""A dataset whose splits are Hugging Face ``save_to_disk`` folders runs like the JSONL one."""

from __future__ import annotations

import json
import shutil

import pytest
from pipeline_fakes import TINY, tiny_config

from mckd.core.errors import DataError
from mckd.core.jsonl import read_jsonl
from mckd.pipeline.run import run_pipeline

datasets = pytest.importorskip("datasets")


def hf_copy(tmp_path, mutate=None):
    """The tiny fixture dataset with every split saved as a ``datasets`` folder."""
    root = tmp_path / "hf_tiny"
    root.mkdir()
    shutil.copy(TINY / "dataset.json", root / "dataset.json")
    for split in ("labeled_50", "unlabeled", "test", "dev"):
        rows = list(read_jsonl(TINY / f"{split}.jsonl"))
        if mutate:
            rows = mutate(split, rows)
        datasets.Dataset.from_list(rows).save_to_disk(str(root / split))
    return root


@pytest.mark.slow  # two whole runs
def test_hf_splits_give_the_same_run_as_jsonl(tmp_path):
    root = hf_copy(tmp_path)
    jsonl = run_pipeline(tiny_config(tmp_path, "mckd.stages=2", "baselines.vanilla_kd=false", run="a"))
    hf = run_pipeline(tiny_config(tmp_path, "mckd.stages=2", "baselines.vanilla_kd=false",
                                  f"data.path={root}", run="b"))
    metrics = [json.loads((r.run_dir / "metrics.json").read_text()) for r in (jsonl, hf)]
    scores = [{m: {k: v for k, v in d.items() if k in ("f1", "corpus_f1", "valid", "n")}
               for m, d in ms["methods"].items()} for ms in metrics]
    assert scores[0] == scores[1] and set(scores[0]) == {"teacher", "mckd"}
    assert f"from {root / 'unlabeled'}\n" in (hf.run_dir / "run.log").read_text()  # the folder was read


def test_bad_hf_row_names_the_folder_and_row(tmp_path):
    def drop_source(split, rows):
        if split == "test":
            rows[3]["source"] = ""
        return rows

    root = hf_copy(tmp_path, drop_source)
    with pytest.raises(DataError, match=r"test.*row 3: field 'source' must be a non-empty string"):
        run_pipeline(tiny_config(tmp_path, f"data.path={root}"))
