"""`mckd run` with the OpenAI-compatible teacher against a loopback server: labels every input,
survives faults, and a rerun sends no request for inputs already answered."""

from __future__ import annotations

import pytest

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))

from fake_openai_server import FakeOpenAIServer  # noqa: E402
from pipeline_fakes import FAKE_TEACHER, tiny_config_text  # noqa: E402

from mckd.cli.main import main  # noqa: E402
from mckd.core.jsonl import read_jsonl  # noqa: E402

pytestmark = pytest.mark.slow  # a whole run against a local server


def _config(tmp_path: Path, server: FakeOpenAIServer) -> Path:
    text = tiny_config_text(tmp_path / "run").replace(
        FAKE_TEACHER,
        "teacher:\n"
        "  backend: openai\n"
        "  openai:\n"
        "    model: fake-model\n"
        f"    base_url: {server.base_url}\n"
        "    api_key_env: MCKD_TEST_KEY\n"
        "    concurrency: 4\n"
        "    backoff_base_s: 0.01\n"
        "    backoff_max_s: 0.05\n"
        "    progress_bar: false\n"
        f"    ledger: {{path: {tmp_path / 'cache' / 'teacher.sqlite'}}}\n"
        "    prompt: {num_demos: 3}\n",
    )
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_run_with_openai_teacher_then_rerun_sends_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MCKD_TEST_KEY", "sk-test-secret-123")
    with FakeOpenAIServer(fault_rates={"500": 0.1, "garbage": 0.1}, seed=1) as server:
        config = _config(tmp_path, server)
        assert main(["run", str(config), "mckd.stages=2"]) == 0
        first = server.counts["requests"]
        labels = list(read_jsonl(tmp_path / "run" / "teacher" / "labels.jsonl"))
        # every unlabeled and test input has a label row, garbage answers kept as invalid
        ids = {r["id"] for r in labels}
        expected = {r["id"] for name in ("unlabeled", "test")
                    for r in read_jsonl(Path(tiny_config_text(tmp_path).split("path: ")[1]
                                             .split(",")[0]) / f"{name}.jsonl")}
        assert ids == expected
        assert any(r["status"] == "invalid" and r["reason"] for r in labels)
        assert first >= len(expected)
        # a fresh run directory reuses the ledger: zero new requests
        assert main(["run", str(config), "mckd.stages=2", f"output_dir={tmp_path / 'again'}"]) == 0
        assert server.counts["requests"] == first
        # how requests are sent is not an input of the teacher step: nothing reruns
        assert main(["run", str(config), "mckd.stages=2", "teacher.openai.concurrency=1",
                     "teacher.openai.http_client=httpx", "teacher.openai.timeout_s=9"]) == 0
        assert server.counts["requests"] == first
    out = capsys.readouterr().out
    assert "| teacher |" in out
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"sk-test-secret-123" not in path.read_bytes(), path
