"""``mckd run`` under a multi-process launcher: process 0 runs the method, the others join
every student training (``mckd.pipeline.launched``)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pipeline_fakes
import pytest
from pipeline_fakes import tiny_config, tiny_config_text

import mckd.pipeline.run as run_module
from mckd.core.errors import MckdError
from mckd.pipeline.run import run_pipeline

pytestmark = pytest.mark.slow  # accelerate launch / multi-process runs

STUDENT_STEPS = ["stage_1/A", "stage_1/B", "stage_2/A", "stage_2/B", "final", "vanilla_kd"]


def _as_rank(monkeypatch, main: bool, session: Path) -> None:
    """Make run_pipeline believe it is one process of two (no process group needed)."""
    monkeypatch.setattr(run_module, "world_size", lambda: 2)
    monkeypatch.setattr(run_module, "is_main_process", lambda: main)
    monkeypatch.setattr(run_module, "share_session", lambda run_dir: session)


def _posted(session: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(session.glob("job-*.json"))]


def test_process_0_posts_each_training_and_a_follower_joins_them_all(tmp_path, monkeypatch):
    session = tmp_path / "run" / ".replicas" / "now"
    stale = tmp_path / "run" / ".replicas" / "earlier"  # an interrupted launch's jobs
    stale.mkdir(parents=True)
    (stale / "job-0000.json").write_text("{}")
    config = tiny_config(tmp_path, "student.parallel_steps=2")  # ignored under a launcher
    _as_rank(monkeypatch, True, session)

    leader = run_pipeline(config)
    assert "evaluate" in leader.ran and not stale.exists()
    jobs = _posted(session)
    assert [j["step"] for j in jobs] == STUDENT_STEPS  # one student at a time, in plan order
    for job in jobs:  # each job is exactly the training the leader ran
        memory = json.loads((Path(job["out_dir"]) / pipeline_fakes.MEMORY).read_text())
        assert job["pairs"] == memory["pairs"] and job["seed"] == memory["seed"]
        assert len(job["pairs"]) > 0
    assert json.loads((session / "end.json").read_text()) == {"jobs": 6, "error": None}

    _as_rank(monkeypatch, False, session)
    pipeline_fakes.TRAIN_CALLS.clear()
    follower = run_pipeline(config)
    assert pipeline_fakes.TRAIN_CALLS == [j["out_dir"] for j in jobs]
    assert follower.ran == [] and follower.metrics == leader.metrics


def test_when_process_0_fails_the_followers_stop_with_its_error(tmp_path, monkeypatch):
    session = tmp_path / "run" / ".replicas" / "now"
    config = tiny_config(tmp_path)
    _as_rank(monkeypatch, True, session)
    monkeypatch.setenv("MCKD_FAKE_STUDENT_FAIL", "stage_1/B")
    with pytest.raises(RuntimeError, match="injected failure"):
        run_pipeline(config)
    end = json.loads((session / "end.json").read_text())
    assert end["jobs"] == 2 and "injected failure of stage_1/B" in end["error"]

    monkeypatch.delenv("MCKD_FAKE_STUDENT_FAIL")
    _as_rank(monkeypatch, False, session)
    pipeline_fakes.TRAIN_CALLS.clear()
    with pytest.raises(MckdError, match="process 0 stopped the run: RuntimeError: injected"):
        run_pipeline(config)
    assert len(pipeline_fakes.TRAIN_CALLS) == 2  # joined what was posted, then stopped


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_accelerate_launch_runs_the_whole_method_with_data_parallel_students(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("accelerate")
    config = tmp_path / "run.yaml"
    config.write_text(tiny_config_text(tmp_path / "run"), encoding="utf-8")
    overrides = ["student.backend=seq2seq", "student.d_model=32", "student.d_ff=64",
                 "student.num_heads=2", "student.num_layers=1", "student.num_decoder_layers=1",
                 "student.max_epochs=2", "student.min_epochs=2", "student.batch_size=8",
                 "student.fidelity_sample=8", "mckd.stages=2"]

    def launch() -> list[str]:
        return [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu",
                "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
                "--dynamo_backend", "no", "--main_process_port", str(_free_port()),
                "-m", "mckd", "run", str(config), *overrides]

    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": "",
           "PYTHONPATH": os.pathsep.join([str(Path(pipeline_fakes.__file__).parent),
                                          os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(launch(), env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("run directory:") == 1  # process 0 alone prints the table

    run = tmp_path / "run"
    steps = json.loads((run / "manifest.json").read_text())["steps"]
    students = ["stage_1/A", "stage_1/B", "final", "vanilla_kd"]
    for name in students:  # trained by both processes, saved once
        assert steps[name]["status"] == "done"
        assert steps[name]["info"]["training"]["processes"] == 2
        assert (run / name / "model.safetensors").is_file()
    metrics = json.loads((run / "metrics.json").read_text())["methods"]
    assert metrics["mckd"]["validity_rate"] == 100.0 and metrics["mckd"]["n"] == 12
    jobs = sorted((run / ".replicas").glob("*/job-*.json"))
    assert [json.loads(j.read_text())["step"] for j in jobs] == students

    again = subprocess.run(launch(), env=env, capture_output=True, text=True, timeout=600,
                           check=False)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "nothing to do" in again.stdout  # resumes like one process: every step finished
