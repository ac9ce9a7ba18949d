"""JSONL reading and atomic writing."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from mckd.core.errors import DataError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: mode for files we create: what open() would give (mkstemp alone gives 0600)
_FILE_MODE = 0o666 & ~_umask()


def as_created(*paths: str | os.PathLike[str]) -> None:
    """Give files the mode ``open()`` creates files with (0644 under the usual umask 022).

    Writers that go through a private temporary file (safetensors' ``save_file``, hence
    ``save_pretrained``) leave their file 0600, unlike every other file of a run directory.
    """
    for path in paths:
        os.chmod(path, _FILE_MODE)


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Yield one dict per non-blank line; malformed lines raise ``DataError`` naming the line."""
    path = Path(path)
    if not path.exists():
        raise DataError("file not found; check the path", path=str(path))
    try:
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(f"not valid JSON ({exc.msg})", path=str(path), line=lineno) from None
                if not isinstance(obj, dict):
                    raise DataError("expected a JSON object per line", path=str(path), line=lineno)
                yield obj
    except UnicodeDecodeError as exc:
        raise DataError(
            f"not UTF-8 text (byte {exc.start}); re-encode the file as UTF-8", path=str(path)
        ) from None


@contextmanager
def atomic_text(path: str | os.PathLike[str], *, binary: bool = False) -> Iterator[TextIO]:
    """A text file handle whose content replaces ``path`` only when the block ends without an
    error (temp file in the same folder, fsync, rename), so a crash never leaves half a file.
    ``binary=True`` gives a bytes handle instead (e.g. for ``torch.save``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8")) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl(path: str | os.PathLike[str], rows: Iterable[dict[str, Any]]) -> int:
    """Write rows atomically (see :func:`atomic_text`).

    Returns:
        The number of rows written.
    """
    n = 0
    with atomic_text(path) as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def write_json(path: str | os.PathLike[str], obj: Any, *, indent: int | None = 2) -> None:
    """Write one JSON document atomically (``indent=None``: on one line)."""
    with atomic_text(path) as fh:
        json.dump(obj, fh, indent=indent, ensure_ascii=False, sort_keys=False)
        fh.write("\n")
