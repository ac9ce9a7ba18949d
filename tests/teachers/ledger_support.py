"""Reading a request ledger's file directly, as a second process (or a user with sqlite3) would."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def answered_ids(path: Path) -> set[str]:
    """Example ids with at least one stored answer in the ledger file ``path``."""
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT DISTINCT example_id FROM answers")}
