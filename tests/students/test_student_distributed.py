"""Data-parallel student training: two CPU processes (gloo) launched by ``accelerate launch``."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("accelerate")

from mckd.config.student import StudentConfig
from mckd.students.distributed import Replicas
from mckd.students.seq2seq import Seq2SeqStudentBackend
from mckd.tasks.constituency.compact import CompactConstraint

pytestmark = pytest.mark.slow  # multi-process training

WORKER = Path(__file__).with_name("ddp_worker.py")


def _worker_module():
    spec = importlib.util.spec_from_file_location("ddp_worker", WORKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _shares(batch, size, micro_batch_size):
    """Every rank's micro-batches, computed as each rank would (no process group needed)."""
    out = []
    for rank in range(size):
        replicas = Replicas.__new__(Replicas)
        replicas.rank, replicas.size = rank, size
        out.append(replicas.micro_batches(batch, micro_batch_size))
    return out


@pytest.mark.parametrize(("n", "size", "micro"), [(7, 2, None), (7, 2, 2), (1, 2, None), (5, 3, 1)])
def test_ranks_split_each_batch_once_with_equal_pass_counts(n, size, micro):
    batch = list(range(10, 10 + n))
    shares = _shares(batch, size, micro)
    assert len({len(s) for s in shares}) == 1  # same number of forward/backward passes
    real = [i for s in shares for idx, w in s if w for i in idx]
    assert sorted(real) == batch
    assert all(w in (0.0, float(size)) for s in shares for _, w in s)
    assert all(len(idx) <= (micro or n) for s in shares for idx, _ in s)


def test_two_processes_train_like_one_and_save_a_student(tmp_path):
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
           "--main_process_port", str(_free_port()), str(WORKER), str(tmp_path)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]

    assert ranks[0]["hash"] == ranks[1]["hash"]  # identical weights on both processes
    assert ranks[0]["losses"] == ranks[1]["losses"]
    assert [r["processes"] for r in ranks] == [2, 2]
    assert ranks[0]["kept_epoch"] == ranks[1]["kept_epoch"]
    assert [(h["loss"], h["score"]) for h in ranks[0]["history"]] == \
        [(h["loss"], h["score"]) for h in ranks[1]["history"]]

    worker = _worker_module()  # the same training in this (single) process
    _, losses = worker.train_direct(StudentConfig(**worker.CONFIG), worker.pairs(), seed=3)
    assert ranks[0]["losses"] == pytest.approx(losses, rel=2e-3)
    assert losses[-1] < losses[0]

    student = Seq2SeqStudentBackend(StudentConfig(**worker.CONFIG)).load(tmp_path / "student")
    sources = [s for s, _ in worker.pairs(6, seed=1)]
    outputs = student.generate(sources, constraint=CompactConstraint())
    assert [len(o.split()) for o in outputs] == [len(s.split()) for s in sources]
