"""Exception families.

``MckdError`` subclasses are *user errors*: bad files, bad config, bad arguments. The CLI turns
them into a one-paragraph message and exit code 2. ``RecoverableError`` subclasses are conditions
a rerun can get past (rate limits, budget exhausted, interrupted step); work done before them is
already on disk.
"""

from __future__ import annotations


class MckdError(Exception):
    """A problem the user can fix. The message says what was wrong and how to fix it."""


class ConfigError(MckdError):
    """The run configuration is invalid; the message lists every problem found."""


class DataError(MckdError):
    """An input file is missing, empty, badly encoded or malformed (names file and line)."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)
        self.path = path
        self.line = line


class RunStateError(MckdError):
    """The run directory disagrees with the requested run (e.g. the config changed)."""


class RecoverableError(Exception):
    """The run stopped for a reason a rerun can get past; finished work is on disk."""


class BudgetExceeded(RecoverableError):
    """The configured token or cost budget is spent; raise it and rerun to continue."""


class TeacherUnavailable(RecoverableError):
    """The teacher cannot be reached or refuses (quota, auth); rerun when fixed."""
