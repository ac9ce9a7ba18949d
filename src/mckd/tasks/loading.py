"""Reading a task's dataset file: JSONL of ``Example`` dicts, checked row by row.

Every task's ``load`` has the same shape: read the rows, check the common fields, let the task
check its own gold serialisation, refuse duplicate ids, and name file and line in every error.
:func:`load_examples` does all of it; a task passes one function that says what is wrong with
a gold string (or ``""``)::

    def load(self, path):
        return load_examples(path, gold_problem=lambda source, gold: "" if gold else "empty")
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mckd.core.errors import DataError
from mckd.core.io import read_records
from mckd.core.jsonl import read_jsonl
from mckd.core.records import Example

#: ``gold_problem(source, gold) -> ""`` when the gold string is fine, else what is wrong + fix
GoldProblem = Callable[[str, str], str]


def load_examples(
    path: str | os.PathLike[str], gold_problem: GoldProblem | None = None
) -> list[Example]:
    """Read ``Example`` dicts (``id``, ``source``, optional ``gold`` and ``meta``).

    Args:
        path: a JSONL file (blank lines are skipped) or a Hugging Face dataset folder written
            by ``save_to_disk`` (errors then name the 0-based row).
        gold_problem: the task's check of one gold string against its source; called only for
            rows whose ``gold`` is a string (``null`` gold is an unlabeled input).

    Returns:
        The examples in file order.

    Raises:
        DataError: naming file and line, for a malformed line, a missing or ill-typed field, a
            gold string ``gold_problem`` objects to, or a duplicate id.
    """
    examples: list[Example] = []
    first_row: dict[str, int] = {}
    hf = Path(path).is_dir()
    rows = read_records(path) if hf else read_jsonl(path)
    for row_no, row in enumerate(rows):
        problem = row_problem(row)
        if not problem and gold_problem is not None and row.get("gold") is not None:
            problem = gold_problem(row["source"], row["gold"])
        if problem:
            raise _row_error(path, hf, row_no, problem)
        example = Example(id=row["id"], source=row["source"], gold=row.get("gold"),
                          meta=row.get("meta") or {})
        if example.id in first_row:
            first = (f"row {first_row[example.id]}" if hf
                     else f"line {line_of_row(path, first_row[example.id])}")
            raise _row_error(path, hf, row_no,
                             f"duplicate id {example.id!r} (first on {first}); ids must be unique")
        first_row[example.id] = row_no
        examples.append(example)
    return examples


def _row_error(path: str | os.PathLike[str], hf: bool, row_no: int, problem: str) -> DataError:
    if hf:  # a dataset folder has rows, not lines
        return DataError(f"row {row_no}: {problem}", path=str(path))
    return DataError(problem, path=str(path), line=line_of_row(path, row_no))


def row_problem(row: dict) -> str:
    """Why a row's common fields do not make an ``Example`` (with the fix), or ``""``."""
    for key in ("id", "source"):
        if not isinstance(row.get(key), str) or not row[key].strip():
            return f"field {key!r} must be a non-empty string (got {row.get(key)!r})"
    if not isinstance(row.get("meta") or {}, dict):
        return f"field 'meta' must be an object (got {type(row['meta']).__name__})"
    gold = row.get("gold")
    if gold is not None and (not isinstance(gold, str) or not gold.strip()):
        return f"field 'gold' must be a non-empty string or null (got {gold!r})"
    return ""


def line_of_row(path: str | os.PathLike[str], row_no: int) -> int:
    """1-based line of the ``row_no``-th non-blank line (read only when reporting an error)."""
    with Path(path).open(encoding="utf-8") as fh:
        seen = -1
        for lineno, line in enumerate(fh, start=1):
            seen += bool(line.strip())
            if seen == row_no:
                return lineno
    return row_no + 1


def dataset_info(split_file: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The ``dataset.json`` beside a split file, or None when there is none.

    Tasks with learned state (a label inventory) read it in ``load``.

    Raises:
        DataError: the file exists but is not a JSON object.
    """
    path = Path(split_file).parent / "dataset.json"
    if not path.is_file():
        return None
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read it ({exc}); rebuild the dataset with `mckd data`",
                        path=str(path)) from None
    if not isinstance(info, dict):
        raise DataError("expected a JSON object; rebuild the dataset with `mckd data`",
                        path=str(path))
    return info
