"""SNIPS -> dataset directory, the paper-style protocol (see :mod:`mckd.data_prep.dataset_dir`).

Source: the Goo et al. (2018) split of the Snips benchmark as JSONL, ``train.jsonl`` (13,084),
``valid.jsonl`` (700) and ``test.jsonl`` (700), each line ``{"input": words, "output": BIO tags,
"intent": ..., "bracketed": ...}``. Protocol: the official splits are kept; train is shuffled
with the seed, labeled pools of 250 and 50 (nested) are its first examples and the rest of
train is the unlabeled pool; dev = valid and test = test, each shuffled with a seed derived
from it (so any prefix of a file is a random sample). ``dataset.json`` lists the slot-type
inventory (``slot_types``, every type in the three files) that :class:`.task.SlotFillingTask`
adopts.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mckd.core.errors import DataError
from mckd.core.jsonl import read_jsonl
from mckd.core.records import Example
from mckd.data_prep.dataset_dir import (
    NO_TRAINING_ON_UNLABELED_GOLD,
    PreparedDataset,
    check_out_dir,
    write_dataset_dir,
)
from mckd.data_prep.splits import (  # shuffled: re-exported for mckd.tasks.top.prepare
    DEFAULT_LABELED,
    presplit_files,
    shuffled,  # noqa: F401
)
from mckd.tasks.constituency.prepare import source_entry, split_info
from mckd.tasks.loading import line_of_row
from mckd.tasks.slots.formats import is_tag, tag_type

logger = logging.getLogger(__name__)

SNIPS_FILES = {"train": "train.jsonl", "dev": "valid.jsonl", "test": "test.jsonl"}


def read_slot_file(path: str | os.PathLike[str], prefix: str) -> list[Example]:
    """Read one ``{"input", "output", "intent"?}`` JSONL file (SNIPS/ATIS style) into examples.

    Example ids are ``<prefix>-<row:05d>``, ``row`` counting the file's records from 1; meta
    holds file, row and intent.

    Raises:
        DataError: naming file and line, for a missing field, a tag count that differs from the
            word count, or a tag that is not ``O``/``B-x``/``I-x``.
    """
    examples = []
    for row_no, row in enumerate(read_jsonl(path)):
        problem = _row_problem(row)
        if problem:
            raise DataError(problem, path=str(path), line=line_of_row(path, row_no))
        meta: dict[str, Any] = {"file": Path(path).name, "row": row_no + 1}
        if isinstance(row.get("intent"), str):
            meta["intent"] = row["intent"]
        examples.append(Example(id=f"{prefix}-{row_no + 1:05d}", source=" ".join(
            row["input"].split()), gold=" ".join(row["output"].split()), meta=meta))
    return examples


def _row_problem(row: dict) -> str:
    for key in ("input", "output"):
        if not isinstance(row.get(key), str) or not row[key].strip():
            return (f"field {key!r} must be a non-empty string (got {row.get(key)!r}); each line "
                    'needs "input" (words) and "output" (one BIO tag per word)')
    words, tags = row["input"].split(), row["output"].split()
    if len(words) != len(tags):
        return f"'output' has {len(tags)} tags for {len(words)} words of 'input'; give one per word"
    bad = next((t for t in tags if not is_tag(t)), None)
    if bad is not None:
        return f"'output' tag {bad!r} is not O, B-<type> or I-<type>"
    return ""


def slot_types_of(examples: Sequence[Example]) -> list[str]:
    """Sorted slot types used by the examples' gold tags."""
    return sorted({tag_type(t) for ex in examples for t in (ex.gold or "").split()} - {None})


def build_slot_dataset(
    name: str,
    parts: dict[str, list[Example]],
    sources: list[dict[str, str]],
    *,
    seed: int,
    labeled: Sequence[int],
    protocol: str,
    notes: Sequence[str] = (),
) -> PreparedDataset:
    """The dataset of a slot-filling corpus that comes split into train, dev and test.

    Pools and file order come from :func:`~mckd.data_prep.splits.presplit_files`;
    ``dataset.json`` gets the slot-type inventory (every type of the three splits), the
    intents, how many test inputs also occur in train, and ``sources``.

    Args:
        name: dataset name (``snips``, ``atis``).
        parts: ``{"train": ..., "dev": ..., "test": ...}`` as read.
        sources: ``dataset.json`` source records of the files read.
        seed: the shuffle seed.
        labeled: labeled pool sizes (nested).
        protocol: the protocol's description for ``dataset.json``.
        notes: notes added after the common ones.

    Raises:
        DataError: train is too small for the pools.
    """
    files = presplit_files(parts["train"], parts["dev"], parts["test"], seed=seed,
                           labeled=labeled)
    every = [ex for part in parts.values() for ex in part]
    train_sources = {ex.source for ex in parts["train"]}
    info = {
        "task": "slots",
        "name": name,
        "protocol": protocol,
        "seed": seed,
        **split_info(files, Counter(), 0),
        "slot_types": slot_types_of(every),
        "slot_types_note": "every slot type of train, valid and test (the annotation schema)",
        "intents": sorted({ex.meta["intent"] for ex in every if "intent" in ex.meta}),
        "overlap": {"test_inputs_also_in_train": sum(ex.source in train_sources
                                                     for ex in parts["test"])},
        "sources": sources,
        "notes": [NO_TRAINING_ON_UNLABELED_GOLD,
                  ("gold is the BIO tag sequence (one tag per source word); meta.intent holds "
                   "the utterance's intent, which no target includes"), *notes],
    }
    logger.info("%s: %d train, %d dev, %d test, %d slot types", name, len(parts["train"]),
                len(parts["dev"]), len(parts["test"]), len(info["slot_types"]))
    return PreparedDataset(files=files, info=info)


def pools_text(labeled: Sequence[int]) -> str:
    """``"labeled pools of 50 and 250 (nested)"`` for protocol descriptions."""
    return f"labeled pools of {' and '.join(map(str, sorted(labeled)))} (nested)"


def build_snips(folder: str | os.PathLike[str], *, seed: int = 13,
                labeled: Sequence[int] = DEFAULT_LABELED) -> PreparedDataset:
    """Apply the SNIPS protocol (module docstring) in memory; nothing is written.

    Raises:
        DataError: a file is missing or malformed, or train is too small for the pools.
    """
    folder = Path(folder)
    parts = {role: read_slot_file(folder / name, f"snips-{Path(name).stem}")
             for role, name in SNIPS_FILES.items()}
    protocol = ("SNIPS (Goo et al. 2018 split): train shuffled with the seed, "
                f"{pools_text(labeled)} from its start, the rest of train unlabeled; dev = valid "
                "and test = test, each in a seeded random order")
    sources = [source_entry(role, folder / name) for role, name in SNIPS_FILES.items()]
    return build_slot_dataset("snips", parts, sources, seed=seed, labeled=labeled,
                              protocol=protocol)


def prepare_snips(folder: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                  seed: int = 13, labeled: Sequence[int] = DEFAULT_LABELED) -> dict[str, Any]:
    """Build the SNIPS dataset directory (:func:`build_snips`) and write it.

    Args:
        folder: the folder with ``train.jsonl``, ``valid.jsonl`` and ``test.jsonl``.
        out_dir: a new, empty or existing dataset directory.
        seed: the shuffle seed.
        labeled: labeled pool sizes (nested), the paper's 50 and 250 by default.

    Returns:
        The ``dataset.json`` content written.
    """
    check_out_dir(out_dir)
    return write_dataset_dir(out_dir, build_snips(folder, seed=seed, labeled=labeled))
