"""kill -9 in the middle of a stage, rerun the same command: nothing finished is redone and the
result equals that of an uninterrupted run."""

from __future__ import annotations

import pytest

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipeline_fakes import tiny_config, tiny_config_text

from mckd.core.jsonl import read_jsonl
from mckd.pipeline.run import run_pipeline

pytestmark = pytest.mark.slow  # kills and reruns whole runs in subprocesses

HERE = Path(__file__).resolve().parent


def mckd_run(config: Path, cwd: Path, **env: str) -> subprocess.Popen:
    path = os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.Popen([sys.executable, "-m", "mckd.cli.main", "run", str(config)],
                            cwd=cwd, env={**os.environ, "PYTHONPATH": path, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def steps(run_dir: Path) -> dict[str, dict]:
    path = run_dir / "manifest.json"
    return json.loads(path.read_text())["steps"] if path.exists() else {}


def wait_until_mid_stage(proc: subprocess.Popen, run_dir: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = steps(run_dir)
        if (state.get("stage_1/A", {}).get("status") == "done"
                and state.get("stage_1/B", {}).get("status") == "running"):
            return
        if proc.poll() is not None:
            raise AssertionError(f"mckd run ended early:\n{proc.communicate()[1][-3000:]}")
        time.sleep(0.05)
    raise AssertionError("mckd run never reached stage_1/B")


def test_kill_9_mid_stage_then_rerun_continues_where_it_stopped(tmp_path):
    config_path = tmp_path / "run.yaml"
    run_dir = tmp_path / "run"
    config_path.write_text(tiny_config_text(run_dir), encoding="utf-8")

    proc = mckd_run(config_path, tmp_path, MCKD_FAKE_STUDENT_SLEEP="1.5")
    wait_until_mid_stage(proc, run_dir)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed = steps(run_dir)
    assert killed["stage_1/B"]["status"] == "running"  # it never got to say anything

    rerun = mckd_run(config_path, tmp_path)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err[-3000:]
    assert "3-stage MCKD" in out and f"run directory: {run_dir}" in out
    after = steps(run_dir)
    for name in ("teacher", "partitions", "stage_1/A"):  # finished before the kill: untouched
        assert after[name]["finished"] == killed[name]["finished"]
        assert after[name]["output_fingerprint"] == killed[name]["output_fingerprint"]
    assert all(entry["status"] == "done" for entry in after.values())
    assert "skipped: teacher, partitions, stage_1/A" in (run_dir / "run.log").read_text()

    reference = run_pipeline(tiny_config(tmp_path, run="uninterrupted"))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    for method, scores in reference.metrics["methods"].items():
        assert metrics["methods"][method]["f1"] == scores["f1"], method
        assert metrics["methods"][method]["corpus_f1"] == scores["corpus_f1"], method
    for rel in ("stage_2/A/relabels.jsonl", "final/predictions.jsonl"):
        assert list(read_jsonl(run_dir / rel)) == list(read_jsonl(reference.run_dir / rel))
