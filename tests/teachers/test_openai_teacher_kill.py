"""``kill -9`` in the middle of labeling, then a rerun: nothing answered is asked again."""

from __future__ import annotations

import pytest

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from fake_openai_server import FakeOpenAIServer, query_of
from ledger_support import answered_ids
from openai_test_support import inputs, label, make_teacher

pytestmark = pytest.mark.slow  # kills a labeling subprocess

N, CONCURRENCY = 60, 4
HERE = Path(__file__).parent


def answered(path: Path) -> int:
    try:
        with sqlite3.connect(path) as db:
            return db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_kill_9_then_rerun_sends_nothing_already_answered(tmp_path):
    examples = inputs(N)
    with FakeOpenAIServer(latency_s=0.05) as server:
        child = textwrap.dedent(f"""
            import sys
            sys.path.insert(0, {str(HERE)!r})
            from pathlib import Path
            from fake_openai_server import FakeOpenAIServer
            from openai_test_support import inputs, label, make_teacher
            class Remote:
                base_url = {server.base_url!r}
            label(make_teacher(Remote(), Path({str(tmp_path)!r}), concurrency={CONCURRENCY}),
                  inputs({N}))
        """)
        proc = subprocess.Popen([sys.executable, "-c", child])
        ledger_path = tmp_path / "ledger.sqlite"
        deadline = time.monotonic() + 60
        while answered(ledger_path) < N // 2 and time.monotonic() < deadline:
            assert proc.poll() is None, "the labeling subprocess ended before it was killed"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        before = answered_ids(ledger_path)
        assert N // 2 <= len(before) < N
        sent_before = len(server.received)
        got = label(make_teacher(server, tmp_path, concurrency=CONCURRENCY), examples)
    assert set(got) == {ex.id for ex in examples}
    by_source = {ex.source: ex.id for ex in examples}
    rerun_ids = [by_source[query_of(r.body)] for r in server.received[sent_before:]]
    assert not set(rerun_ids) & before  # zero requests for keys already answered
    assert len(rerun_ids) == N - len(before)
    lost_in_flight = sent_before - len(before)
    assert 0 <= lost_in_flight <= CONCURRENCY
    assert sum(c.meta["cache_hit"] for c in got.values()) == len(before)
