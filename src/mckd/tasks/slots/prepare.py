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
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mckd.core.errors import DataError
from mckd.core.hashing import stable_seed
from mckd.core.jsonl import read_jsonl
from mckd.core.records import Example
from mckd.data_prep.dataset_dir import (
    NO_TRAINING_ON_UNLABELED_GOLD,
    PreparedDataset,
    check_out_dir,
    write_dataset_dir,
)
from mckd.data_prep.splits import DEFAULT_LABELED, split_examples
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


def shuffled(examples: Sequence[Example], seed: int) -> list[Example]:
    """A copy of ``examples`` in a seeded random order."""
    out = list(examples)
    random.Random(seed).shuffle(out)
    return out


def build_snips(folder: str | os.PathLike[str], *, seed: int = 13,
                labeled: Sequence[int] = DEFAULT_LABELED) -> PreparedDataset:
    """Apply the SNIPS protocol (module docstring) in memory; nothing is written.

    Raises:
        DataError: a file is missing or malformed, or train is too small for the pools.
    """
    folder = Path(folder)
    parts = {role: read_slot_file(folder / name, f"snips-{Path(name).stem}")
             for role, name in SNIPS_FILES.items()}
    files = split_examples(parts["train"], seed=seed, split=(1.0, 0.0, 0.0), labeled=labeled)
    files["dev"] = shuffled(parts["dev"], stable_seed(seed, "dev"))
    files["test"] = shuffled(parts["test"], stable_seed(seed, "test"))
    every = [ex for part in parts.values() for ex in part]
    train_sources = {ex.source for ex in parts["train"]}
    info = {
        "task": "slots",
        "name": "snips",
        "protocol": (
            "SNIPS (Goo et al. 2018 split): train shuffled with the seed, labeled pools of "
            f"{' and '.join(map(str, sorted(labeled)))} (nested) from its start, the rest of "
            "train unlabeled; dev = valid and test = test, each in a seeded random order"),
        "seed": seed,
        **split_info(files, Counter(), 0),
        "slot_types": slot_types_of(every),
        "slot_types_note": "every slot type of train, valid and test (the annotation schema)",
        "intents": sorted({ex.meta["intent"] for ex in every if "intent" in ex.meta}),
        "overlap": {"test_inputs_also_in_train": sum(ex.source in train_sources
                                                     for ex in parts["test"])},
        "sources": [source_entry(role, folder / name) for role, name in SNIPS_FILES.items()],
        "notes": [NO_TRAINING_ON_UNLABELED_GOLD,
                  ("gold is the BIO tag sequence (one tag per source word); meta.intent holds "
                   "the utterance's intent, which no target includes")],
    }
    logger.info("SNIPS: %d train, %d dev, %d test, %d slot types", len(parts["train"]),
                len(parts["dev"]), len(parts["test"]), len(info["slot_types"]))
    return PreparedDataset(files=files, info=info)


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
