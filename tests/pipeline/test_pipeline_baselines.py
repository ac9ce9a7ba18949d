"""Baselines and ablations as config: SFT, KD + SD with filter, the stage sweep, self-partition
relabeling, gold mixing; adding one to a finished run runs only what is new."""

from __future__ import annotations

import json
from pathlib import Path

import pipeline_fakes
import pytest
from pipeline_fakes import FakeStudentBackend, tiny_config

from mckd.core.errors import ConfigError
from mckd.core.jsonl import read_jsonl
from mckd.pipeline.run import run_pipeline
from mckd.students import STUDENTS

EVERYTHING = ("mckd.sweep=[2]", "baselines.sft=true", "baselines.kd_sd_filter=true",
              "analyses.heldout_curves=true", "analyses.heldout_examples=6")


def rows(path: Path) -> list[dict]:
    return list(read_jsonl(path))


def trained_sources(run: Path, step: str) -> list[str]:
    return [s for s, _ in json.loads((run / step / "fake_student.json").read_text())["pairs"]]


def manifest(run: Path) -> dict:
    return json.loads((run / "manifest.json").read_text())["steps"]


@pytest.fixture(scope="module")
def everything(tmp_path_factory):
    return run_pipeline(tiny_config(tmp_path_factory.mktemp("everything"), *EVERYTHING))


def test_every_baseline_is_a_step_and_a_row(everything):
    assert everything.ran == ["teacher", "partitions", "stage_1/A", "stage_1/B", "stage_2/A",
                              "stage_2/B", "final", "final_2", "vanilla_kd", "kd_sd_filter",
                              "sft", "evaluate"]
    labels = {k: m["label"] for k, m in everything.metrics["methods"].items()}
    assert labels == {"teacher": "teacher", "mckd": "3-stage MCKD", "mckd_2": "2-stage MCKD",
                      "vanilla_kd": "vanilla KD", "kd_sd_filter": "KD + SD w/ filter",
                      "sft": "SFT (gold only)"}
    for m in everything.metrics["methods"].values():
        assert m["n"] == 12


def test_sft_trains_on_the_gold_examples_only(everything):
    gold = [r["source"] for r in rows(pipeline_fakes.TINY / "labeled_50.jsonl")]
    assert trained_sources(everything.run_dir, "sft") == gold


def test_kd_sd_keeps_the_most_confident_half_of_the_vanilla_kd_relabels(everything):
    run = everything.run_dir
    relabels = rows(run / "kd_sd_filter/relabels.jsonl")
    assert len(relabels) == 48 and sum(r["kept"] for r in relabels) == 24
    kept = [r for r in relabels if r["kept"]]
    dropped = [r for r in relabels if not r["kept"]]
    assert min(r["meta"]["mean_logprob"] for r in kept) >= max(r["meta"]["mean_logprob"] for r in dropped)
    assert sorted(trained_sources(run, "kd_sd_filter")) == sorted(r["source"] for r in kept)
    assert all(r["origin"] == "vanilla_kd" for r in relabels)
    counts = manifest(run)["kd_sd_filter"]["counts"]
    assert counts["kept"] == 24 and counts["relabeled"] == 48 and "agreement_with_teacher" in counts


def test_the_sweep_final_equals_the_final_of_a_shorter_run(everything, tmp_path):
    two = run_pipeline(tiny_config(tmp_path, "mckd.stages=2", "analyses.heldout_curves=true",
                                   "analyses.heldout_examples=6"))
    assert manifest(everything.run_dir)["final_2"]["deps"] == ["stage_1/A", "stage_1/B"]
    assert (rows(everything.run_dir / "final_2/predictions.jsonl")
            == rows(two.run_dir / "final/predictions.jsonl"))


def test_stages_record_agreement_with_the_teacher_and_students_their_heldout_curve(everything):
    steps = manifest(everything.run_dir)
    for name in ("stage_1/A", "stage_2/B"):
        assert 0 <= steps[name]["counts"]["agreement_with_teacher"] <= 100
    history = steps["final"]["info"]["training"]["history"]
    assert [h["epoch"] for h in history] == [1, 2] and all("heldout" in h for h in history)


def test_adding_a_baseline_to_a_finished_run_runs_only_the_new_step(tmp_path):
    first = run_pipeline(tiny_config(tmp_path, "mckd.stages=2"))
    calls = len(pipeline_fakes.TRAIN_CALLS)
    more = run_pipeline(tiny_config(tmp_path, "mckd.stages=2", "baselines.sft=true"))
    assert more.ran == ["sft", "evaluate"]
    assert len(pipeline_fakes.TRAIN_CALLS) == calls + 1
    assert (more.run_dir / "run.log").read_text().count("(predictions reused)") == 2
    for key in ("teacher", "mckd", "vanilla_kd"):
        assert more.metrics["methods"][key]["f1"] == first.metrics["methods"][key]["f1"]
    assert run_pipeline(tiny_config(tmp_path, "mckd.stages=2", "baselines.sft=true")).ran == []


def test_self_partition_students_relabel_the_part_they_trained_on(tmp_path):
    result = run_pipeline(tiny_config(tmp_path, "mckd.stages=2", "mckd.relabel=self"))
    run = result.run_dir
    parts = json.loads((run / "partitions.json").read_text())["parts"]
    sources = {r["id"]: r["source"] for r in rows(run / "teacher/labels.jsonl")}
    for part in ("A", "B"):
        assert [r["id"] for r in rows(run / f"stage_1/{part}/relabels.jsonl")] == parts[part]
        assert set(trained_sources(run, f"stage_1/{part}")) <= {sources[i] for i in parts[part]}
    assert result.metrics["methods"]["mckd"]["label"] == "2-stage MCKD (self-partition)"
    assert result.metrics["relabel"] == "self"


def test_gold_mixing_adds_the_gold_examples_to_every_pseudolabel_student(tmp_path):
    result = run_pipeline(tiny_config(tmp_path, "mckd.stages=2", "mckd.mix_gold=true"))
    gold = {r["source"] for r in rows(pipeline_fakes.TINY / "labeled_50.jsonl")}
    for step in ("stage_1/A", "final", "vanilla_kd"):
        assert gold <= set(trained_sources(result.run_dir, step))
        assert manifest(result.run_dir)[step]["counts"]["gold_pairs"] == len(gold)
    assert result.metrics["methods"]["mckd"]["label"] == "2-stage MCKD + gold"


def test_kd_sd_after_a_one_stage_run_reads_its_final_student(tmp_path):
    result = run_pipeline(tiny_config(tmp_path, "mckd.stages=1", "baselines.kd_sd_filter=true"))
    assert result.ran == ["teacher", "final", "kd_sd_filter", "evaluate"]
    assert manifest(result.run_dir)["kd_sd_filter"]["deps"] == ["final"]


class _PlainBackend(FakeStudentBackend):
    """A backend with neither optional capability."""

    scored_generation = False

    def train(self, pairs, out_dir, *, seed, constraint=None, fidelity_fn=None, dev=None):
        return super().train(pairs, out_dir, seed=seed, fidelity_fn=fidelity_fn)


def test_a_backend_without_the_capabilities_is_refused_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setitem(STUDENTS._entries, "fake", _PlainBackend)
    config = tiny_config(tmp_path, "baselines.kd_sd_filter=true", "analyses.heldout_curves=true")
    with pytest.raises(ConfigError) as info:
        run_pipeline(config)
    assert "baselines.kd_sd_filter" in str(info.value) and "analyses.heldout_curves" in str(info.value)
    assert not config.run_dir().exists()


@pytest.mark.slow  # a whole run plus its report
def test_label_quality_against_gold_is_recorded_per_stage_and_reported(everything):
    """The unlabeled fixture inputs carry gold: each stage's labels are scored against it."""
    from mckd.pipeline.context import checked_of
    from mckd.reports.report import write_report
    from mckd.tasks.constituency.task import ConstituencyTask

    task = ConstituencyTask()
    gold = {ex.id: ex for ex in task.load(str(pipeline_fakes.TINY / "unlabeled.jsonl"))}
    steps = manifest(everything.run_dir)
    for step, path in (("stage_1/A", "stage_1/A/relabels.jsonl"),
                       ("kd_sd_filter", "kd_sd_filter/relabels.jsonl")):
        labels = rows(everything.run_dir / path)
        expected = 100 * sum(task.example_score(gold[r["id"]], checked_of(r))
                             for r in labels) / len(labels)
        assert steps[step]["counts"]["gold_score"] == pytest.approx(expected, abs=0.01)
    teacher = [r for r in rows(everything.run_dir / "teacher/labels.jsonl")
               if r["split"] == "unlabeled"]
    expected = 100 * sum(task.example_score(gold[r["id"]], checked_of(r))
                         for r in teacher) / len(teacher)
    assert steps["teacher"]["counts"]["unlabeled"]["gold_score"] == pytest.approx(expected, abs=0.01)
    report = write_report([everything.run_dir]).read_text()
    assert "score against gold %" in report
