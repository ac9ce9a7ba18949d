"""Writing (and finding) dataset directories.

Layout of a dataset directory, the contract with the pipeline::

    dataset.json        task, name, protocol, seed, counts, source fingerprints, what was dropped
                        and why, and rows + sha256 of every file below
    labeled_<k>.jsonl   gold examples used as teacher demonstrations (smaller pools nested in
                        larger ones)
    unlabeled.jsonl     inputs the teacher labels; they keep their gold for simulated teachers
                        and analyses, but no step ever trains on that gold
    dev.jsonl, test.jsonl

Each JSONL line is ``Example.to_dict()``. Files keep a seeded random order, so a prefix of a
file is a random sample. Nothing time- or machine-dependent is written: the same inputs and
seed give byte-identical files.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mckd import __version__
from mckd.core.errors import DataError
from mckd.core.hashing import file_fingerprint
from mckd.core.jsonl import write_json, write_jsonl
from mckd.core.records import Example

logger = logging.getLogger(__name__)

DATASET_JSON = "dataset.json"
NO_TRAINING_ON_UNLABELED_GOLD = (
    "unlabeled.jsonl keeps each input's gold so that a simulated teacher and the analyses can "
    "use it; the pipeline never trains on it (students train on pseudolabels only)"
)


@dataclass
class PreparedDataset:
    """A dataset before it is written.

    Attributes:
        files: file stem (``labeled_50``, ``unlabeled``, ``dev``, ...) -> examples, in order.
        info: what goes into ``dataset.json`` besides the per-file rows and hashes the writer
            adds (task, name, protocol, seed, counts, sources, dropped, ...).
    """

    files: dict[str, list[Example]]
    info: dict[str, Any] = field(default_factory=dict)


def check_out_dir(out_dir: str | os.PathLike[str]) -> Path:
    """Refuse an output path that is a file or a non-empty directory of something else.

    Raises:
        DataError: ``out_dir`` is a file, or a non-empty directory without ``dataset.json``.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise DataError("output path is a file; pass a directory for --out", path=str(out))
    if out.is_dir() and any(out.iterdir()) and not (out / DATASET_JSON).exists():
        raise DataError(
            f"output directory is not empty and has no {DATASET_JSON}; choose a new or empty "
            "directory (an existing dataset directory is overwritten)",
            path=str(out),
        )
    return out


def write_dataset_dir(out_dir: str | os.PathLike[str], dataset: PreparedDataset) -> dict[str, Any]:
    """Write every file of ``dataset`` atomically, then ``dataset.json`` last.

    Returns:
        The ``dataset.json`` content written.

    Raises:
        DataError: the output path is unusable (see :func:`check_out_dir`) or two examples
            share an id.
    """
    out = check_out_dir(out_dir)
    _check_unique_ids(dataset.files)
    described: dict[str, Any] = {}
    for stem, examples in dataset.files.items():
        path = out / f"{stem}.jsonl"
        rows = write_jsonl(path, (ex.to_dict() for ex in examples))
        described[stem] = {"path": path.name, "rows": rows, "sha256": file_fingerprint(path)}
        logger.info("wrote %d examples to %s", rows, path)
    info = {**dataset.info, "files": described, "mckd_version": __version__}
    stale = sorted(p.name for p in out.glob("*.jsonl") if p.stem not in dataset.files)
    if stale:
        logger.warning("%s also holds files not in this dataset (left as they are): %s",
                       out, ", ".join(stale))
    write_json(out / DATASET_JSON, info)
    return info


def _check_unique_ids(files: dict[str, list[Example]]) -> None:
    """Ids are unique within each file, and only labeled pools may share examples."""
    owner: dict[str, str] = {}
    for stem, examples in files.items():
        ids = [ex.id for ex in examples]
        if len(set(ids)) != len(ids):
            twice = next(i for i in ids if ids.count(i) > 1)
            raise DataError(f"example id {twice!r} appears twice in {stem}; ids must be unique")
        for ex_id in ids:
            seen = owner.setdefault(ex_id, stem)
            if seen != stem and not (seen.startswith("labeled_") and stem.startswith("labeled_")):
                raise DataError(f"example id {ex_id!r} is in both {seen} and {stem}")
