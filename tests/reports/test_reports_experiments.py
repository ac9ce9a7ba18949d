"""Reports over experiments (seed folders, several configs): aggregated table with bootstrap
intervals, differences with significance, teacher-quality halves, curves and stage statistics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mckd.cli.main import main
from mckd.reports.analyses import teacher_halves
from mckd.reports.comparison import differences, methods_of, result_rows
from mckd.reports.report import write_report
from mckd.reports.runs import load_experiment

IDS = [f"t{i}" for i in range(8)]
TEACHER = [90.0, 80.0, 70.0, 60.0, 40.0, 30.0, 20.0, 10.0]  # good half: t0-t3


def _method(run: Path, step: str, label: str, scores: list[float]) -> dict:
    rows = [{"id": i, "example_score": s / 100} for i, s in zip(IDS, scores, strict=True)]
    (run / step).mkdir(parents=True, exist_ok=True)
    (run / step / "predictions.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    mean = sum(scores) / len(scores)
    return {"label": label, "step": step, "f1": mean, "corpus_f1": mean - 1, "n": len(scores),
            "validity_rate": 100.0, "pipeline_s": 10.0}


def _run(root: Path, name: str, seed: int, students: dict[str, tuple[str, list[float]]],
         relabel: str = "other") -> Path:
    run = root / f"seed_{seed}"
    methods = {"teacher": _method(run, "teacher", "teacher", TEACHER)}
    for key, (label, scores) in students.items():
        methods[key] = _method(run, "final" if key == "mckd" else key, label, scores)
    (run / "metrics.json").write_text(json.dumps({
        "run": name, "task": "constituency", "headline_metric": "f1", "stages": 3,
        "seed": seed, "relabel": relabel, "methods": methods, "notes": [],
        "steps": {"teacher": {"seconds": 2.0}, "final": {"seconds": 5.0}}}))
    history = [{"epoch": 1, "score": 80.0, "heldout": 40.0}, {"epoch": 2, "score": 95.0,
                                                              "heldout": 45.0}]
    steps = {
        "teacher": {"status": "done", "counts": {"unlabeled": {"n": 10, "valid": 8, "repaired": 1,
                                                               "invalid": 1}}},
        "stage_1/A": {"status": "done", "counts": {"relabeled": 5, "valid": 5, "changed": 2,
                                                   "agreement_with_previous": 60.0,
                                                   "agreement_with_teacher": 60.0}},
        "stage_1/B": {"status": "done", "counts": {"relabeled": 5, "valid": 4, "invalid": 1,
                                                   "changed": 4, "agreement_with_previous": 40.0,
                                                   "agreement_with_teacher": 40.0}},
        "final": {"status": "done", "info": {"training": {"history": history, "kept_epoch": 2,
                                                          "selection": "fidelity"}}},
    }
    (run / "manifest.json").write_text(json.dumps({"version": 1, "steps": steps}))
    return run


@pytest.fixture
def experiments(tmp_path):
    main_exp, ablation = tmp_path / "table1", tmp_path / "table1-self"
    for seed, shift in ((0, 0.0), (1, 2.0)):
        _run(main_exp, "table1", seed, {
            "vanilla_kd": ("vanilla KD", [50.0 + shift] * 8),
            "mckd": ("3-stage MCKD", [t + 10 + shift for t in TEACHER])})
        _run(ablation, "table1-self", seed, {
            "mckd": ("3-stage MCKD (self-partition)", [t + shift for t in TEACHER])},
            relabel="self")
    return main_exp, ablation


def test_rows_aggregate_seeds_and_pair_differences_across_experiments(experiments):
    exps = [load_experiment(p) for p in experiments]
    assert exps[0].seeds == [0, 1] and exps[1].name == "table1-self"
    methods, repeats = methods_of(exps)
    assert [(m.experiment.name, m.key) for m in methods] == [
        ("table1", "teacher"), ("table1", "vanilla_kd"), ("table1", "mckd"),
        ("table1-self", "mckd")]
    assert repeats == [("teacher of table1-self is identical to teacher of table1 and is not "
                        "repeated.")]
    rows = {(r.method.experiment.name, r.method.key): r
            for r in result_rows(methods, ["f1"], "f1", resamples=300)}
    mckd = rows[("table1", "mckd")]
    assert mckd.seeds == 2 and mckd.means["f1"] == pytest.approx(61.0)  # seeds: 60 and 62
    assert mckd.std == pytest.approx(2 ** 0.5)
    assert mckd.interval.low < 61.0 < mckd.interval.high
    diffs = {(d.method.experiment.name, d.method.key, d.reference.key): d
             for d in differences(methods, resamples=300)}
    vs_teacher = diffs[("table1", "mckd", "teacher")].interval
    assert (vs_teacher.estimate, vs_teacher.low, vs_teacher.high) == pytest.approx((11, 11, 11))
    assert vs_teacher.significant
    ablation = diffs[("table1-self", "mckd", "vanilla_kd")]  # paired with the other run's KD
    assert ablation.reference.experiment.name == "table1" and ablation.seeds == [0, 1]
    # Same test examples in both seeds: resampled together, so the per-example differences
    # (0 in seed 0, 2 in seed 1) average to a constant 1 and the interval is [1, 1].
    self_vs_teacher = diffs[("table1-self", "mckd", "teacher")].interval
    assert (self_vs_teacher.low, self_vs_teacher.high) == pytest.approx((1, 1))
    assert ("table1", "teacher", "vanilla_kd") not in diffs  # shown once, as KD - teacher


def test_teacher_halves_split_by_the_teachers_own_scores(experiments):
    run = load_experiment(experiments[0]).runs[0]
    good, bad = teacher_halves(run)
    assert good == {"t0", "t1", "t2", "t3"} and bad == {"t4", "t5", "t6", "t7"}


def test_report_reads_on_its_own(experiments, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["report", *map(str, experiments), "--out", str(out), "--resamples", "200"]) == 0
    printed = capsys.readouterr().out
    assert "| table1 | 3-stage MCKD | 2 | 61.0 ± 1.4 |" in printed
    assert "| table1-self | 3-stage MCKD (self-partition) | vanilla KD (table1) |" in printed
    text = (out / "report.md").read_text()
    for heading in ("## Results", "## Differences from the teacher and from vanilla KD",
                    "## Teacher-quality split", "## Fidelity curves", "## Labels per stage"):
        assert heading in text
    # vanilla KD (a flat 50/52) is worse than the teacher on its good half, better on its bad.
    kd_row = next(line for line in text.splitlines() if line.startswith("| table1 | vanilla KD | 5"))
    good_diff, bad_diff = kd_row.split("|")[5], kd_row.split("|")[6]
    assert good_diff.strip().startswith("-") and good_diff.strip().endswith("*")
    assert bad_diff.strip().startswith("+") and bad_diff.strip().endswith("*")
    assert "| table1 | stage 1 relabels | 2 | 10 | 6 | 60.0 | 50.0 | 50.0 | 90.0 | 1 |" in text
    assert "| table1 | 3-stage MCKD | 2 | 2 | 95.0 | 45.0 | 45.0 (2) |" in text
    for png in ("f1_by_stage.png", "teacher_quality.png", "fidelity_curves.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG" and f"]({png})" in text


def test_single_seed_report_defaults_to_the_run_directory(experiments):
    path = write_report([experiments[0] / "seed_0"], resamples=50)
    assert path == experiments[0] / "seed_0" / "report.md"
    assert "seeds 0;" in path.read_text()


def _retime(run: Path, teacher: dict) -> None:
    """No held-out curve; two steps side by side (10:00:00-10:01:40 and 10:00:10-10:01:00)."""
    manifest = json.loads((run / "manifest.json").read_text())
    for entry in manifest["steps"].values():
        for row in entry.get("info", {}).get("training", {}).get("history", []):
            row.pop("heldout")
    manifest["steps"]["stage_1/A"].update(started="2026-12-04T10:00:00+0000",
                                          finished="2026-12-04T10:01:40+0000")
    manifest["steps"]["stage_1/B"].update(started="2026-12-04T10:00:10+0000",
                                          finished="2026-12-04T10:01:00+0000")
    (run / "manifest.json").write_text(json.dumps(manifest))
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["teacher"] = teacher
    metrics["steps"] = {"stage_1/A": {"seconds": 100.0}, "stage_1/B": {"seconds": 50.0}}
    (run / "metrics.json").write_text(json.dumps(metrics))


def test_two_runs_of_one_config_read_apart_and_the_report_says_what_it_counts(tmp_path):
    teacher = {"backend": "simulated", "simulation": True,
               "calibration": {"target": 57.5, "achieved": 56.71, "n": 1000},
               "config": {"spread": 16.0}}
    runs = []
    for folder in ("a", "b"):
        run = _run(tmp_path / folder, "craft-demo", 0,
                   {"vanilla_kd": ("vanilla KD", [50.0] * 8)})
        _retime(run, teacher)
        runs.append(run)
    out = tmp_path / "report"
    write_report(runs, out, resamples=50)
    text = (out / "report.md").read_text()
    a, b = (f"craft-demo ({run})" for run in runs)
    assert f"teacher of {b} is identical to teacher of {a} and is not repeated." in text
    assert "| run | method | # seeds |" in text and "| paired seeds |" in text
    assert ("Seed 0: `" + str(runs[0]) + "`, 100 s wall (1 s resolution); its steps' times add "
            "up to 150 s (student steps ran side by side).") in text
    assert ("Teacher: `simulated` (a simulation: gold labels corrupted with LLM-like errors, no "
            "language model; calibrated to 57.5, achieved 56.71 on 1000 reference "
            "examples).") in text
    assert "```json" not in text and '"spread"' not in text  # no dump at the end
    assert "Held-out curves were not recorded" in text
    from PIL import Image

    assert Image.open(out / "fidelity_curves.png").size == (768, 528)  # one panel: 6.4 x 4.4 in


def test_the_same_run_twice_is_an_error(experiments):
    from mckd.core.errors import MckdError

    with pytest.raises(MckdError, match="given more than once"):
        write_report([experiments[0], experiments[0]], experiments[0] / "r", resamples=50)


def test_score_by_stage_joins_only_neighbouring_stage_counts():
    from mckd.reports.plots import _runs_of_consecutive

    points = [(0, 58.0, 0.0), (1, 65.6, 0.0), (3, 63.0, 0.0)]  # a 3-stage run, no sweep
    assert _runs_of_consecutive(points) == [points[:2], points[2:]]
    swept = [(0, 58.0, 0.0), (1, 65.6, 0.0), (2, 61.0, 0.0), (3, 63.0, 0.0)]
    assert _runs_of_consecutive(swept) == [swept]
