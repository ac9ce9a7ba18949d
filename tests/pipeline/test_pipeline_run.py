"""The whole pipeline with a fake teacher and a fake student: layout, data flow, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pipeline_fakes
import pytest
from pipeline_fakes import FakeTeacher, tiny_config

from mckd.config.loading import load_config
from mckd.core.errors import ConfigError, RunStateError
from mckd.core.jsonl import read_jsonl
from mckd.core.records import Completion
from mckd.pipeline.run import run_pipeline
from mckd.teachers import TEACHERS


def rows(path: Path) -> list[dict]:
    return list(read_jsonl(path))


def finished_times(run_dir: Path) -> dict[str, str]:
    steps = json.loads((run_dir / "manifest.json").read_text())["steps"]
    return {name: e["finished"] + e["fingerprint"] for name, e in steps.items()}


@pytest.fixture(scope="module")
def three_stage(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("three_stage")
    result = run_pipeline(tiny_config(tmp, "mckd.eval_stages=true"))
    return result


def test_full_run_writes_every_artifact(three_stage):
    run = three_stage.run_dir
    assert three_stage.ran == ["teacher", "partitions", "stage_1/A", "stage_1/B", "stage_2/A",
                               "stage_2/B", "final", "vanilla_kd", "evaluate"]
    for rel in ["config.yaml", "manifest.json", "run.log", "metrics.json", "partitions.json",
                "teacher/labels.jsonl", "teacher/predictions.jsonl",
                "stage_1/A/relabels.jsonl", "stage_2/B/relabels.jsonl", "stage_2/B/metrics.json",
                "final/predictions.jsonl", "final/metrics.json", "vanilla_kd/predictions.jsonl"]:
        assert (run / rel).is_file(), rel
    assert not list(run.glob("teacher/completions.partial-*"))  # removed once the step is done
    assert not (run / ".lock").exists()  # the run directory's lock goes when the run ends
    labels = rows(run / "teacher/labels.jsonl")
    assert len(labels) == 48 + 12
    assert {r["split"] for r in labels} == {"unlabeled", "test"}
    assert all(r["raw"] and r["status"] in ("valid", "repaired", "invalid") for r in labels)
    assert all((r["target"] is None) == (r["status"] == "invalid") for r in labels)
    manifest = json.loads((run / "manifest.json").read_text())
    for entry in manifest["steps"].values():
        assert entry["status"] == "done" and entry["seconds"] >= 0 and entry["peak_rss_mb"] > 0
    assert manifest["steps"]["teacher"]["counts"]["unlabeled"]["n"] == 48
    log_text = (run / "run.log").read_text()
    assert "step evaluate: done" in log_text
    # the teacher's done line is short and readable; the manifest keeps the full counts
    teacher_line = next(line for line in log_text.splitlines() if "step teacher: done" in line)
    assert "unlabeled 48 (valid " in teacher_line and "{" not in teacher_line
    assert "tokens" not in teacher_line
    assert load_config(run / "config.yaml").mckd.stages == 3  # the resolved config reloads


def test_metrics_compare_methods_and_say_the_teacher_is_simulated(three_stage):
    metrics = three_stage.metrics
    assert list(metrics["methods"]) == ["teacher", "mckd", "vanilla_kd", "stage_1/A",
                                        "stage_1/B", "stage_2/A", "stage_2/B"]
    assert metrics["teacher_is_simulation"] is True and metrics["notes"]
    for m in metrics["methods"].values():
        assert m["n"] == 12 and 0 <= m["f1"] <= 100 and "corpus_f1" in m
    assert metrics["methods"]["mckd"]["label"] == "3-stage MCKD"
    assert set(metrics["steps"]) >= {"teacher", "final", "evaluate"}
    # The teacher's test row is computed from its stored labels, not regenerated.
    preds = rows(three_stage.run_dir / "teacher/predictions.jsonl")
    labels = {r["id"]: r for r in rows(three_stage.run_dir / "teacher/labels.jsonl")}
    assert all(p["target"] == labels[p["id"]]["target"] for p in preds)


def test_stage_students_relabel_only_the_part_they_never_saw(three_stage):
    run = three_stage.run_dir
    parts = json.loads((run / "partitions.json").read_text())["parts"]
    sources = {r["id"]: r["source"] for r in rows(run / "teacher/labels.jsonl")}
    for stage in (1, 2):
        for part, other in (("A", "B"), ("B", "A")):
            student_dir = run / f"stage_{stage}" / part
            relabeled = [r["id"] for r in rows(student_dir / "relabels.jsonl")]
            assert relabeled == parts[other]
            trained_on = {s for s, _ in json.loads((student_dir / "fake_student.json").read_text())["pairs"]}
            assert trained_on <= {sources[i] for i in parts[part]}
            assert not trained_on & {sources[i] for i in parts[other]}
    # Stage 2 learns from stage 1's relabels: student 2/A's targets are 1/B's relabels of A.
    relabels_1b = {r["source"]: r for r in rows(run / "stage_1/B/relabels.jsonl")}
    pairs_2a = json.loads((run / "stage_2/A/fake_student.json").read_text())["pairs"]
    from mckd.tasks import get_task

    task = get_task("constituency")
    for source, target in pairs_2a:
        assert task.check(source, target, "compact").target == relabels_1b[source]["target"]


def test_k_partitions_follow_the_documented_cycle(tmp_path):
    result = run_pipeline(tiny_config(tmp_path, "mckd.stages=2", "mckd.partitions=3",
                                      "baselines.vanilla_kd=false"))
    run = result.run_dir
    plan = json.loads((run / "partitions.json").read_text())
    assert sorted(len(p) for p in plan["parts"].values()) == [16, 16, 16]
    sources = {r["id"]: r["source"] for r in rows(run / "teacher/labels.jsonl")}
    for part, held_out in (("A", "B"), ("B", "C"), ("C", "A")):
        assert plan["students"][part]["relabels"] == held_out
        relabeled = [r["id"] for r in rows(run / f"stage_1/{part}/relabels.jsonl")]
        assert relabeled == plan["parts"][held_out]
        trained = {s for s, _ in json.loads((run / f"stage_1/{part}/fake_student.json").read_text())["pairs"]}
        assert not trained & {sources[i] for i in plan["parts"][held_out]}
    assert result.ran[-2:] == ["final", "evaluate"] and "vanilla_kd" not in result.ran


def test_one_stage_is_exactly_vanilla_kd(three_stage, tmp_path):
    single = run_pipeline(tiny_config(tmp_path, "mckd.stages=1"))
    assert single.ran == ["teacher", "final", "evaluate"]
    assert list(single.metrics["methods"]) == ["teacher", "vanilla_kd"]
    ours = rows(single.run_dir / "final/predictions.jsonl")
    baseline = rows(three_stage.run_dir / "vanilla_kd/predictions.jsonl")
    assert ours == baseline
    assert single.metrics["methods"]["vanilla_kd"]["f1"] == three_stage.metrics["methods"]["vanilla_kd"]["f1"]


def test_rerun_redoes_nothing(three_stage):
    before = finished_times(three_stage.run_dir)
    calls = len(pipeline_fakes.TRAIN_CALLS)
    again = run_pipeline(load_config(three_stage.run_dir / "config.yaml"))
    assert again.ran == [] and len(again.skipped) == 9
    assert finished_times(three_stage.run_dir) == before
    assert len(pipeline_fakes.TRAIN_CALLS) == calls
    assert again.metrics == three_stage.metrics


def test_changed_config_names_the_step_and_force_from_reruns_from_it(tmp_path):
    first = run_pipeline(tiny_config(tmp_path))
    before = finished_times(first.run_dir)
    with pytest.raises(RunStateError, match=r"step 'stage_1/A' finished with other inputs "
                                            r"\(changed: config.student\).*--force-from stage_1/A"):
        run_pipeline(tiny_config(tmp_path, "student.max_epochs=3"))
    # Changes no step's output depends on are fine: the run's name, the student's CPU threads.
    assert run_pipeline(tiny_config(tmp_path, "name=renamed", "student.threads=1",
                                    "student.compile=true")).ran == []
    with pytest.raises(RunStateError, match=r"step 'stage_1/A' finished with other inputs"):
        run_pipeline(tiny_config(tmp_path, "student.micro_batch_size=2"))
    with pytest.raises(RunStateError, match="step 'teacher'.*changed: config.teacher"):
        run_pipeline(tiny_config(tmp_path, "teacher.backend=simulated"))
    with pytest.raises(ConfigError, match="no such step in this run; did you mean 'stage_1/A'"):
        run_pipeline(tiny_config(tmp_path, "student.max_epochs=3"), force_from="stage_1/a")
    forced = run_pipeline(tiny_config(tmp_path, "student.max_epochs=3"), force_from="stage_1/A")
    assert forced.ran[0] == "stage_1/A" and forced.skipped == ["teacher", "partitions"]
    after = finished_times(first.run_dir)
    assert after["teacher"] == before["teacher"] and after["partitions"] == before["partitions"]
    assert after["final"] != before["final"]
    assert load_config(first.run_dir / "config.yaml").student.max_epochs == 3
    everything = run_pipeline(tiny_config(tmp_path, "student.max_epochs=3"), force=True)
    assert everything.skipped == [] and everything.ran[0] == "teacher"


def test_fewer_stages_under_force_remove_the_old_stage_folders(tmp_path):
    run_pipeline(tiny_config(tmp_path))
    with pytest.raises(RunStateError, match="step 'final'.*reads stage_1/A, stage_1/B instead of "
                                            "stage_2/A, stage_2/B"):
        run_pipeline(tiny_config(tmp_path, "mckd.stages=2"))
    result = run_pipeline(tiny_config(tmp_path, "mckd.stages=2"), force_from="final")
    assert not (result.run_dir / "stage_2").exists()
    assert "stage_2/A" not in json.loads((result.run_dir / "manifest.json").read_text())["steps"]
    assert result.metrics["methods"]["mckd"]["label"] == "2-stage MCKD"


def test_deleted_artifacts_are_detected(tmp_path):
    result = run_pipeline(tiny_config(tmp_path))
    (result.run_dir / "partitions.json").unlink()
    with pytest.raises(RunStateError, match="step 'partitions' finished but its artifacts are "
                                            "gone.*--force-from partitions"):
        run_pipeline(tiny_config(tmp_path))


def _teacher_wrapper(*, garbage: set[str] = frozenset(), stop_after: int | None = None,
                     requested: list[str] | None = None):
    class Wrapped(FakeTeacher):
        def complete(self, examples, *, on_result=None):
            if requested is not None:
                requested.extend(ex.id for ex in examples)
            for n, c in enumerate(super().complete(examples)):
                if stop_after is not None and n == stop_after:
                    raise KeyboardInterrupt  # as if the process were killed here
                if c.id in garbage:
                    c = Completion(id=c.id, text="I cannot parse this sentence.")
                if on_result:
                    on_result(c)
                yield c

    return Wrapped


def test_invalid_teacher_labels_are_kept_counted_and_never_trained_on(tmp_path, monkeypatch):
    config = tiny_config(tmp_path)
    ids = [json.loads(line)["id"] for line in
           (config.data.split_file("unlabeled")).read_text().splitlines()]
    garbage = set(ids[:6])
    monkeypatch.setitem(TEACHERS._entries, "fake", _teacher_wrapper(garbage=garbage))
    result = run_pipeline(config)
    labels = {r["id"]: r for r in rows(result.run_dir / "teacher/labels.jsonl")}
    assert all(labels[i]["status"] == "invalid" and labels[i]["reason"] for i in garbage)
    steps = json.loads((result.run_dir / "manifest.json").read_text())["steps"]
    parts = json.loads((result.run_dir / "partitions.json").read_text())["parts"]
    for part in ("A", "B"):
        expected = sum(labels[i]["status"] == "invalid" for i in parts[part])  # garbage too
        assert expected >= len(garbage & set(parts[part])) > 0
        assert steps[f"stage_1/{part}"]["counts"]["excluded_invalid"] == expected
        assert steps[f"stage_1/{part}"]["counts"]["train_pairs"] == 24 - expected
    assert steps["vanilla_kd"]["counts"]["excluded_invalid"] >= len(garbage)
    trained = {s for s, _ in json.loads((result.run_dir / "vanilla_kd/fake_student.json").read_text())["pairs"]}
    assert not trained & {labels[i]["source"] for i in garbage}


def test_interrupted_labeling_resumes_without_asking_again(tmp_path, monkeypatch):
    config = tiny_config(tmp_path)
    monkeypatch.setitem(TEACHERS._entries, "fake", _teacher_wrapper(stop_after=20))
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(config)
    [partial] = (config.run_dir() / "teacher").glob("completions.partial-*.jsonl")
    assert len(partial.read_text().splitlines()) == 20
    with partial.open("a") as fh:
        fh.write('{"id": "cut-off mid-wri')  # what a kill -9 during a write leaves
    assert json.loads((config.run_dir() / "manifest.json").read_text())["steps"]["teacher"]["status"] == "failed"
    requested: list[str] = []
    monkeypatch.setitem(TEACHERS._entries, "fake", _teacher_wrapper(requested=requested))
    result = run_pipeline(config)
    assert len(requested) == 60 - 20
    reference = run_pipeline(tiny_config(tmp_path, run="reference"))
    assert rows(result.run_dir / "teacher/labels.jsonl") == rows(reference.run_dir / "teacher/labels.jsonl")
    assert scores(result.metrics) == scores(reference.metrics)


def scores(metrics: dict) -> dict:
    """Every method's scores without its timings (which differ between runs)."""
    return {name: {k: v for k, v in m.items() if not k.endswith("_s")}
            for name, m in metrics["methods"].items()}


def test_a_second_process_cannot_share_the_run_directory(tmp_path):
    import fcntl

    config = tiny_config(tmp_path)
    config.run_dir().mkdir(parents=True)
    with (config.run_dir() / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(RunStateError, match="in use by another mckd run"):
            run_pipeline(config)


@pytest.mark.slow
def test_a_failing_student_in_parallel_keeps_what_finished_and_the_rerun_continues(
        tmp_path, monkeypatch):
    monkeypatch.setenv("MCKD_FAKE_STUDENT_FAIL", "stage_1/B")
    monkeypatch.setenv("MCKD_FAKE_STUDENT_SLEEP", "1")  # stage_1/A still runs when B fails
    config = tiny_config(tmp_path, "student.parallel_steps=2")
    with pytest.raises(RuntimeError, match="injected failure of stage_1/B"):
        run_pipeline(config)
    steps = json.loads((tmp_path / "run" / "manifest.json").read_text())["steps"]
    assert steps["stage_1/B"]["status"] == "failed"
    assert "injected failure" in steps["stage_1/B"]["error"]
    assert steps["stage_1/A"]["status"] == "done"  # finished alongside: recorded, kept
    monkeypatch.delenv("MCKD_FAKE_STUDENT_FAIL")
    monkeypatch.setenv("MCKD_FAKE_STUDENT_SLEEP", "0")
    again = run_pipeline(config)
    assert "stage_1/A" not in again.ran and again.ran[0] == "stage_1/B"
    assert again.metrics["methods"]["mckd"]["f1"] == run_pipeline(
        tiny_config(tmp_path, run="plain")).metrics["methods"]["mckd"]["f1"]
