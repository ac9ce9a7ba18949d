"""The request ledger: a SQLite (WAL) record of every answer an LLM gave, keyed by request.

The key is a hash of what determines the answer (backend, endpoint, model, prompt or messages
and decoding parameters), never of how it was fetched (concurrency, timeouts, batch size). Each
answer is committed the moment it arrives, so a run killed with ``kill -9`` loses only the
requests in flight, and a rerun sends no request whose key is already answered. Parsing and
repair can therefore be redone from the ledger without paying again.

Errors are never stored as answers: they go to a separate ``failures`` table, kept only for
diagnosis. Secrets are never written (requests carry no credentials).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from mckd.core.errors import DataError
from mckd.core.hashing import fingerprint

SCHEMA_VERSION = "1"
#: where teachers keep their ledger unless the config says otherwise (shared by runs)
DEFAULT_LEDGER = "cache/teacher.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    example_id TEXT NOT NULL,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    finish_reason TEXT NOT NULL,
    choices TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    latency_s REAL NOT NULL,
    attempts INTEGER NOT NULL,
    created_at REAL NOT NULL,
    demo_ids TEXT NOT NULL,
    request TEXT
);
CREATE TABLE IF NOT EXISTS failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    example_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    error TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    created_at REAL NOT NULL
);
"""
_COLUMNS = ("key", "example_id", "backend", "model", "text", "finish_reason", "choices",
            "prompt_tokens", "completion_tokens", "latency_s", "attempts", "created_at",
            "demo_ids", "request")


def request_key(backend: str, endpoint: str, body: dict[str, Any]) -> str:
    """The ledger key of a request: SHA-256 of backend, endpoint and the exact body sent."""
    return fingerprint({"backend": backend, "endpoint": endpoint, "body": body})


@dataclass(frozen=True)
class LedgerEntry:
    """One stored answer.

    Attributes:
        key: :func:`request_key` of the request.
        example_id: the input it was asked for (informational; not part of the key).
        text: raw text of the first choice, exactly as returned.
        finish_reason: of the first choice ("stop", "length", ...).
        choices: every choice as ``{"text", "finish_reason"}`` (one unless n > 1).
        latency_s: seconds the successful attempt took; attempts: HTTP attempts it took.
        demo_ids: ids of the demonstrations in the prompt, in prompt order.
        request: the request body, when the ledger is configured to store requests.
    """

    key: str
    example_id: str
    backend: str
    model: str
    text: str
    finish_reason: str
    choices: list[dict[str, str]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    attempts: int = 1
    created_at: float = 0.0
    demo_ids: list[str] = field(default_factory=list)
    request: dict[str, Any] | None = None


class Ledger:
    """A SQLite answer store, safe to share between threads and processes (WAL mode)."""

    def __init__(self, path: str | Path, *, busy_timeout_s: float = 30.0,
                 store_requests: bool = False):
        self.path = Path(path)
        self.store_requests = store_requests
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # autocommit: every write is its own transaction, durable once the call returns
        self._db = sqlite3.connect(self.path, timeout=busy_timeout_s, isolation_level=None,
                                   check_same_thread=False)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._check_version()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise DataError(f"not a usable request ledger ({exc}); point ledger.path at a new "
                            "file or restore this one", path=str(self.path)) from None

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE name='schema'").fetchone()
        if row is None:
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        elif row[0] != SCHEMA_VERSION:
            raise DataError(f"ledger schema version {row[0]}, this mckd writes "
                            f"{SCHEMA_VERSION}; use a new ledger.path", path=str(self.path))

    def get(self, key: str) -> LedgerEntry | None:
        """The stored answer for ``key``, or None."""
        with self._lock:
            row = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM answers WHERE key=?",
                                   (key,)).fetchone()
        if row is None:
            return None
        values = dict(zip(_COLUMNS, row, strict=True))
        values["choices"] = json.loads(values["choices"])
        values["demo_ids"] = json.loads(values["demo_ids"])
        values["request"] = json.loads(values["request"]) if values["request"] else None
        return LedgerEntry(**values)

    def put(self, entry: LedgerEntry) -> None:
        """Commit ``entry`` now; an answer already stored under its key is kept."""
        values = {**entry.__dict__, "created_at": entry.created_at or time.time()}
        values["choices"] = json.dumps(entry.choices, ensure_ascii=False)
        values["demo_ids"] = json.dumps(entry.demo_ids, ensure_ascii=False)
        request = entry.request if self.store_requests else None
        values["request"] = json.dumps(request, ensure_ascii=False) if request else None
        with self._lock:
            self._db.execute(
                f"INSERT OR IGNORE INTO answers ({', '.join(_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in _COLUMNS)})",
                [values[c] for c in _COLUMNS],
            )

    def record_failure(self, key: str, example_id: str, kind: str, error: str,
                       attempts: int) -> None:
        """Log a failed request for diagnosis (never read back as an answer)."""
        with self._lock:
            self._db.execute(
                "INSERT INTO failures (key, example_id, kind, error, attempts, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)", (key, example_id, kind, error, attempts, time.time()))

    def counts(self) -> dict[str, int]:
        """Number of stored answers and logged failures."""
        with self._lock:
            answers = self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
            failures = self._db.execute("SELECT COUNT(*) FROM failures").fetchone()[0]
        return {"answers": answers, "failures": failures}

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
