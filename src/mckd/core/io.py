"""Record files in and out: JSONL, or a Hugging Face ``datasets`` directory.

Users move data between mckd and their own tooling either as JSONL (one JSON object per line)
or as a dataset saved with ``Dataset.save_to_disk``. ``datasets`` is imported only when such a
directory is actually read or written.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mckd.core.errors import DataError
from mckd.core.jsonl import read_jsonl, write_jsonl

FORMATS = ("jsonl", "hf")


def is_hf_dataset_dir(path: Path) -> bool:
    """True if ``path`` looks like the output of ``Dataset(Dict).save_to_disk``."""
    return path.is_dir() and (
        (path / "state.json").exists() or (path / "dataset_dict.json").exists()
    )


def read_records(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read rows from a JSONL file or a saved Hugging Face dataset directory.

    Raises:
        DataError: missing path, a ``DatasetDict`` (the message lists its splits), or a folder
            that is neither.
    """
    path = Path(path)
    if not path.exists():
        raise DataError("not found; check the path", path=str(path))
    if path.is_dir():
        if not is_hf_dataset_dir(path):
            raise DataError(
                "is a directory but not a saved Hugging Face dataset "
                "(no state.json / dataset_dict.json); pass a .jsonl file or a save_to_disk folder",
                path=str(path),
            )
        return _read_hf(path)
    return list(read_jsonl(path))


def _read_hf(path: Path) -> list[dict[str, Any]]:
    try:
        import datasets
    except ImportError:  # pragma: no cover - depends on the environment
        raise DataError(
            "reading a Hugging Face dataset needs the 'datasets' package: pip install 'mckd[train]'",
            path=str(path),
        ) from None
    loaded = datasets.load_from_disk(str(path))
    if isinstance(loaded, datasets.DatasetDict):
        splits = ", ".join(sorted(loaded))
        raise DataError(
            f"is a DatasetDict with splits [{splits}]; point at one split's folder, "
            f"e.g. {path / sorted(loaded)[0]}",
            path=str(path),
        )
    return [dict(row) for row in loaded]


def write_records(
    path: str | os.PathLike[str], rows: Iterable[dict[str, Any]], fmt: str = "jsonl"
) -> int:
    """Write rows as JSONL (atomically) or as a Hugging Face dataset directory.

    Nested values (``meta``, ``usage``) are kept as they are; for ``hf`` they become struct
    columns, so every row should have the same keys.

    Returns:
        Number of rows written.
    """
    if fmt not in FORMATS:
        raise DataError(f"unknown format {fmt!r}; valid choices: {', '.join(FORMATS)}")
    rows = list(rows)
    if fmt == "jsonl":
        return write_jsonl(path, rows)
    import datasets

    datasets.Dataset.from_list(rows).save_to_disk(str(path))
    return len(rows)
