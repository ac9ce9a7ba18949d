"""The request ledger: keyed answers, durable at once, errors never served as answers."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest
from ledger_support import answered_ids

from mckd.core.errors import DataError
from mckd.teachers.ledger import Ledger, LedgerEntry, request_key

BODY = {"model": "m", "messages": [{"role": "user", "content": "Input: a\nOutput:"}],
        "max_tokens": 64, "temperature": 0.0}


def entry(key: str, text: str = "( a )", **kw) -> LedgerEntry:
    return LedgerEntry(key=key, example_id="e1", backend="openai", model="m", text=text,
                       finish_reason="stop", choices=[{"text": text, "finish_reason": "stop"}],
                       prompt_tokens=10, completion_tokens=3, latency_s=0.5, attempts=2,
                       demo_ids=["g2", "g1"], **kw)


def test_key_depends_on_what_is_sent_not_on_dict_order():
    same = dict(reversed(list(BODY.items())))
    assert request_key("openai", "chat", BODY) == request_key("openai", "chat", same)
    for changed in ({**BODY, "model": "m2"}, {**BODY, "temperature": 0.7},
                    {**BODY, "max_tokens": 65}):
        assert request_key("openai", "chat", changed) != request_key("openai", "chat", BODY)
    assert request_key("openai", "completions", BODY) != request_key("openai", "chat", BODY)


def test_put_get_round_trip_and_persistence(tmp_path):
    path = tmp_path / "sub" / "ledger.sqlite"
    with Ledger(path) as ledger:
        assert ledger.get("k") is None
        ledger.put(entry("k", request=BODY))
    with Ledger(path) as again:
        got = again.get("k")
    assert got is not None and got.created_at > 0
    assert got == entry("k", created_at=got.created_at)  # request not kept by default
    assert got.choices == [{"text": "( a )", "finish_reason": "stop"}]
    assert got.demo_ids == ["g2", "g1"]


def test_first_answer_for_a_key_is_kept(tmp_path):
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.put(entry("k", text="first"))
        ledger.put(entry("k", text="second"))
        assert ledger.get("k").text == "first"
        assert ledger.counts() == {"answers": 1, "failures": 0}


def test_requests_are_stored_only_when_asked(tmp_path):
    with Ledger(tmp_path / "l.sqlite", store_requests=True) as ledger:
        ledger.put(entry("k", request=BODY))
        assert ledger.get("k").request == BODY


def test_failures_are_logged_but_never_answer_a_key(tmp_path):
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.record_failure("k", "e1", "retry", "HTTP 500", 6)
        assert ledger.get("k") is None
        assert ledger.counts() == {"answers": 0, "failures": 1}
    assert answered_ids(tmp_path / "l.sqlite") == set()


def test_wal_mode(tmp_path):
    Ledger(tmp_path / "l.sqlite").close()
    mode = sqlite3.connect(tmp_path / "l.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "l.sqlite"
    path.write_text("this is not sqlite " * 100)
    with pytest.raises(DataError, match="not a usable request ledger"):
        Ledger(path)


def test_other_schema_version_is_refused(tmp_path):
    path = tmp_path / "l.sqlite"
    Ledger(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value='99' WHERE name='schema'")
    db.commit()
    db.close()
    with pytest.raises(DataError, match="schema version 99"):
        Ledger(path)


def test_answers_survive_kill_9_right_after_put(tmp_path):
    path = tmp_path / "l.sqlite"
    script = textwrap.dedent(f"""
        import os, signal
        from mckd.teachers.ledger import Ledger, LedgerEntry
        ledger = Ledger({str(path)!r})
        for i in range(50):
            ledger.put(LedgerEntry(key=f"k{{i}}", example_id=f"e{{i}}", backend="openai",
                                   model="m", text="t", finish_reason="stop"))
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, check=False)
    assert proc.returncode == -9
    assert answered_ids(path) == {f"e{i}" for i in range(50)}
