"""`mckd report` turns finished runs into a comparison table and a plot."""

from __future__ import annotations

import json

import pytest

from mckd.cli.main import main
from mckd.core.errors import MckdError
from mckd.reports.runs import load_run
from mckd.reports.tables import format_table


def _fake_run(tmp_path, name, mckd_f1, simulation=True):
    run = tmp_path / name
    run.mkdir()
    methods = {
        "mckd": {"label": "3-stage MCKD", "f1": mckd_f1, "corpus_f1": 55.0, "validity_rate": 100.0,
                 "exact_match": 2.0, "invalid": 0, "n": 40, "pipeline_s": 300.0},
        "teacher": {"label": "teacher", "f1": 60.04, "corpus_f1": 58.0, "validity_rate": 97.5,
                    "exact_match": 5.0, "invalid": 1, "n": 40, "pipeline_s": 1.0},
        "vanilla_kd": {"label": "vanilla KD", "f1": 58.0, "corpus_f1": 54.0, "validity_rate": 100.0,
                       "exact_match": 1.0, "invalid": 0, "n": 40, "pipeline_s": 90.0},
        "stage_1/A": {"label": "stage 1 student A", "f1": 56.0, "n": 40},
        "stage_1/B": {"label": "stage 1 student B", "f1": 58.0, "n": 40},
    }
    metrics = {"run": name, "task": "constituency", "headline_metric": "f1", "stages": 3,
               "methods": methods, "teacher": {"backend": "simulated", "simulation": simulation},
               "notes": ["The teacher is a simulation."] if simulation else [],
               "steps": {"teacher": {"seconds": 1.0, "peak_rss_mb": 300}}, "peak_rss_mb": 300}
    (run / "metrics.json").write_text(json.dumps(metrics))
    return run


def test_table_orders_methods_and_shows_both_metrics_and_simulation_note(tmp_path):
    run = _fake_run(tmp_path, "demo", 62.0)
    table = format_table([run])
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| method | paper F1 (sentence mean) | corpus F1 (EVALB-style)")
    labels = [r.split("|")[1].strip() for r in rows[1:]]
    assert labels == ["teacher", "vanilla KD", "stage 1 student A", "stage 1 student B", "3-stage MCKD"]
    assert "| teacher | 60.0 | 58.0 | 5.0 | 97.5 | 1 | 1 |" in table
    assert "simulation" in table
    assert "Test examples: 40." in table


def test_report_command_compares_runs_and_writes_plot(tmp_path, capsys):
    a = _fake_run(tmp_path, "seed0", 62.0)
    b = _fake_run(tmp_path, "seed1", 64.0)
    out = tmp_path / "cmp"
    assert main(["report", str(a), str(b), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| seed0 | 3-stage MCKD | 62.0 |" in printed and "| seed1 | 3-stage MCKD | 64.0 |" in printed
    png = out / "f1_by_stage.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "f1_by_stage.png" in (out / "report.md").read_text()


def test_unfinished_run_gets_a_clear_error(tmp_path, capsys):
    run = tmp_path / "half"
    run.mkdir()
    (run / "manifest.json").write_text("{}")
    with pytest.raises(MckdError, match="has not finished"):
        load_run(run)
    assert main(["report", str(run)]) == 2
    assert "no metrics.json" in capsys.readouterr().err
