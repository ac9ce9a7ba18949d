"""``mckd export``: pseudolabels out of a run, as JSONL or a Hugging Face dataset."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))

from pipeline_fakes import tiny_config  # noqa: E402

from mckd.cli.main import main  # noqa: E402
from mckd.core.io import read_records  # noqa: E402
from mckd.core.jsonl import read_jsonl  # noqa: E402
from mckd.pipeline.run import run_pipeline  # noqa: E402


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("export")
    return run_pipeline(tiny_config(tmp, "baselines.vanilla_kd=false")).run_dir


def test_teacher_and_final_labels_as_jsonl(run_dir, tmp_path):
    assert main(["export", str(run_dir), "--labels", "teacher", "-o", str(tmp_path / "t.jsonl")]) == 0
    teacher = list(read_jsonl(tmp_path / "t.jsonl"))
    assert len(teacher) == 48 and all(r["origin"].startswith("teacher") for r in teacher)  # no test rows
    assert main(["export", str(run_dir), "-o", str(tmp_path / "f.jsonl")]) == 0
    final = list(read_jsonl(tmp_path / "f.jsonl"))
    relabels = [r for p in sorted(run_dir.glob("stage_2/*/relabels.jsonl")) for r in read_jsonl(p)]
    assert [(r["id"], r["target"]) for r in final] == [(r["id"], r["target"]) for r in relabels]
    assert {r["origin"] for r in final} == {"stage_2/A", "stage_2/B"}


def test_hf_dataset_round_trips(run_dir, tmp_path):
    pytest.importorskip("datasets")
    out = tmp_path / "hf"
    assert main(["export", str(run_dir), "--labels", "stage_1", "-o", str(out), "--format", "hf"]) == 0
    rows = read_records(out)
    assert len(rows) == 48 and set(rows[0]) == {"id", "source", "target", "raw", "status", "reason",
                                                "origin", "meta"}


def test_labels_the_run_cannot_have_name_its_stages(run_dir, tmp_path, capsys):
    for which in ("stage_5", "gold"):  # a finished 3-stage run has no stage_5: not "finish it"
        assert main(["export", str(run_dir), "--labels", which, "-o", str(tmp_path / "x.jsonl")]) == 2
        err = capsys.readouterr().err
        assert (f"--labels {which!r}: this is a 3-stage run, so its collaborative stages are "
                "stage_1, stage_2; choose teacher, final or one of those (this run has "
                "written: teacher, stage_1, stage_2)") in err
        assert "finish the run" not in err


def test_labels_not_written_yet_say_what_exists(run_dir, tmp_path, capsys):
    import shutil

    partial = tmp_path / "partial"
    shutil.copytree(run_dir, partial)
    for path in partial.glob("stage_2/*/relabels.jsonl"):
        path.unlink()
    assert main(["export", str(partial), "--labels", "final", "-o", str(tmp_path / "x.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "stage_2 labels are not in" in err and "(this run has written: teacher, stage_1)" in err
    assert "finish the run first" in err
