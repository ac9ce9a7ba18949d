"""The ``openai`` teacher against a real third-party server: ``transformers serve`` on 127.0.0.1
with a tiny random Llama from a temp folder. Checks wire compatibility on both endpoints and
that the model's gibberish is recorded as invalid."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from openai_test_support import TASK, gold_demos, inputs
from tiny_causal_lm import build_tiny_causal_lm

from mckd.config.llm import OpenAITeacherConfig
from mckd.core.records import Status
from mckd.pipeline.labeling import label_row
from mckd.teachers.openai_backend import OpenAITeacher

pytestmark = [pytest.mark.slow, pytest.mark.skipif(  # starts a transformers server
    any(importlib.util.find_spec(m) is None for m in ("fastapi", "uvicorn", "torch")),
    reason="transformers' serving extra is not installed (pip install 'mckd[serve]')")]

READY_DEADLINE_S = 120.0  # measured ~6 s on an idle 2-core machine; the CI box is shared


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(proc: subprocess.Popen, base: str, log: Path) -> None:
    """Poll ``/health`` until it answers 200, the process dies, or the deadline passes."""
    deadline = time.monotonic() + READY_DEADLINE_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"transformers serve exited with {proc.returncode}:\n"
                        f"{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"transformers serve not ready after {READY_DEADLINE_S:.0f} s:\n"
                f"{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """(base URL, model folder) of a running ``transformers serve``; always stopped after."""
    root = tmp_path_factory.mktemp("serve")
    model = build_tiny_causal_lm(root / "model")
    port = free_port()
    log = root / "serve.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    args = [sys.executable, "-m", "transformers.cli.transformers", "serve", str(model),
            "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"]
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(proc, base, log)
        yield f"{base}/v1", model
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.mark.parametrize("endpoint", ["chat", "completions"])
def test_openai_teacher_against_transformers_serve(served, endpoint, tmp_path):
    base_url, model = served
    config = OpenAITeacherConfig(
        model=str(model), base_url=base_url, api_key_env=None, endpoint=endpoint,
        max_tokens=8, retry_max_tokens=None, concurrency=2, timeout_s=60, max_attempts=2,
        backoff_base_s=0.1, progress_bar=False, prompt={"num_demos": 2},
        ledger={"store_requests": True})
    ledger = tmp_path / "ledger.sqlite"
    teacher = OpenAITeacher(TASK, config, demos=gold_demos(8), seed=0, ledger_path=ledger)
    examples = inputs(3)
    got = {c.id: c for c in teacher.complete(examples)}
    assert set(got) == {ex.id for ex in examples}
    for ex in examples:
        c = got[ex.id]
        assert c.finish_reason in ("stop", "length")
        assert c.usage["prompt_tokens"] > 50 and 0 < c.usage["completion_tokens"] <= 8
        assert len(c.meta["demo_ids"]) == 2 and c.meta["attempts"] == 1
        row = label_row(TASK.check, ex, "unlabeled", c.to_dict(), "teacher:openai")
        assert row["status"] == Status.INVALID.value and row["reason"]  # gibberish, recorded
    usage = teacher.describe()["usage"]
    assert usage["answered"] == 3 and usage["failed"] == 0 and usage["rejected"] == 0
    # the same requests again come from the ledger: nothing is sent
    again = OpenAITeacher(TASK, config, demos=gold_demos(8), seed=0, ledger_path=ledger)
    assert all(c.meta["cache_hit"] for c in again.complete(examples))
    assert again.describe()["usage"]["http_requests"] == 0
    import sqlite3

    with sqlite3.connect(ledger) as db:
        body = json.loads(db.execute("SELECT request FROM answers").fetchone()[0])
    assert ("messages" in body) == (endpoint == "chat") and body["model"] == str(model)
