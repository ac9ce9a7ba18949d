"""TOP -> dataset directory (see :mod:`mckd.data_prep.dataset_dir` for the layout).

Source: TOP's eval and test files as JSONL (``eval.jsonl``, 4,462 trees; ``test.jsonl``,
9,042), each line ``{"input": tokenised utterance, "output": TOP tree, "raw": utterance}``.
TOP's train file is not available here, so the protocol is: eval is shuffled with the seed;
the labeled pools of 250 and 50 (nested) are its first trees, dev the next ``dev_size``
(default 500), and the rest of eval is the unlabeled pool; test = TOP's test, in a seeded
random order. No tree of the official test file is ever a demonstration or an unlabeled input,
so scores stay comparable to other work on TOP's test split.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mckd.core.errors import ConfigError, DataError
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
from mckd.tasks.slots.prepare import shuffled
from mckd.tasks.top.formats import read_tree
from mckd.tasks.top.task import gold_problem

logger = logging.getLogger(__name__)

TOP_FILES = {"eval": "eval.jsonl", "test": "test.jsonl"}
DEFAULT_DEV_SIZE = 500


def read_top_file(path: str | os.PathLike[str], prefix: str) -> list[Example]:
    """Read one ``{"input", "output", "raw"?}`` JSONL file of TOP trees into examples.

    Example ids are ``<prefix>-<row:05d>``, ``row`` counting the file's records from 1; meta
    holds file, row and the raw utterance.

    Raises:
        DataError: naming file and line, for a missing field or a tree that is not a
            well-formed TOP tree over the input's words.
    """
    examples = []
    for row_no, row in enumerate(read_jsonl(path)):
        problem = ""
        for key in ("input", "output"):
            if not problem and (not isinstance(row.get(key), str) or not row[key].strip()):
                problem = (f"field {key!r} must be a non-empty string (got {row.get(key)!r}); "
                           'each line needs "input" (tokenised words) and "output" (TOP tree)')
        source = " ".join(row["input"].split()) if not problem else ""
        problem = problem or gold_problem(source, row["output"])
        if problem:
            raise DataError(problem, path=str(path), line=line_of_row(path, row_no))
        meta: dict[str, Any] = {"file": Path(path).name, "row": row_no + 1}
        if isinstance(row.get("raw"), str):
            meta["raw"] = row["raw"]
        examples.append(Example(id=f"{prefix}-{row_no + 1:05d}", source=source,
                                gold=row["output"].strip(), meta=meta))
    return examples


def labels_of(examples: Sequence[Example]) -> dict[str, list[str]]:
    """Sorted intent and slot labels used by the examples' gold trees."""
    labels = {node.label() for ex in examples
              for node in read_tree(ex.gold or "").subtrees(lambda t: t.height() > 2)}
    return {"intents": sorted(x for x in labels if x.startswith("IN:")),
            "slots": sorted(x for x in labels if x.startswith("SL:"))}


def build_top(folder: str | os.PathLike[str], *, seed: int = 13,
              labeled: Sequence[int] = DEFAULT_LABELED,
              dev_size: int = DEFAULT_DEV_SIZE) -> PreparedDataset:
    """Apply the TOP protocol (module docstring) in memory; nothing is written.

    Raises:
        ConfigError: a negative ``dev_size``.
        DataError: a file is missing or malformed, or eval is too small for pools and dev.
    """
    if dev_size < 0:
        raise ConfigError(f"dev size must be >= 0, got {dev_size}")
    folder = Path(folder)
    parts = {role: read_top_file(folder / name, f"top-{role}") for role, name in
             TOP_FILES.items()}
    files = split_examples(parts["eval"], seed=seed, split=(1.0, 0.0, 0.0), labeled=labeled)
    if dev_size >= len(files["unlabeled"]):
        raise DataError(f"eval has {len(parts['eval'])} trees: too few for labeled pools of "
                        f"{max(labeled)} plus a dev split of {dev_size} plus unlabeled inputs; "
                        "use a smaller --dev-size", path=str(folder / TOP_FILES["eval"]))
    files["dev"] = files["unlabeled"][:dev_size]
    files["unlabeled"] = files["unlabeled"][dev_size:]
    files["test"] = shuffled(parts["test"], stable_seed(seed, "test"))
    eval_sources = {ex.source for ex in parts["eval"]}
    info = {
        "task": "top",
        "name": "top",
        "protocol": (
            "TOP (Gupta et al. 2018) without its train file: eval shuffled with the seed, "
            f"labeled pools of {' and '.join(map(str, sorted(labeled)))} (nested) from its "
            f"start, the next {dev_size} as dev, the rest of eval unlabeled; test = TOP's test "
            "in a seeded random order"),
        "seed": seed,
        "dev_size": dev_size,
        **split_info(files, Counter(), 0),
        "labels": labels_of(parts["eval"] + parts["test"]),
        "overlap": {"test_inputs_also_in_eval": sum(ex.source in eval_sources
                                                    for ex in parts["test"])},
        "sources": [source_entry(role, folder / name) for role, name in TOP_FILES.items()],
        "notes": [NO_TRAINING_ON_UNLABELED_GOLD,
                  ("TOP's train file is not used (not available); training-side pools come "
                   "from its eval file")],
    }
    logger.info("TOP: %d eval, %d test trees", len(parts["eval"]), len(parts["test"]))
    return PreparedDataset(files=files, info=info)


def prepare_top(folder: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                seed: int = 13, labeled: Sequence[int] = DEFAULT_LABELED,
                dev_size: int = DEFAULT_DEV_SIZE) -> dict[str, Any]:
    """Build the TOP dataset directory (:func:`build_top`) and write it.

    Args:
        folder: the folder with ``eval.jsonl`` and ``test.jsonl``.
        out_dir: a new, empty or existing dataset directory.
        seed: the shuffle seed.
        labeled: labeled pool sizes (nested).
        dev_size: eval trees held out as dev (after the labeled pools).

    Returns:
        The ``dataset.json`` content written.
    """
    check_out_dir(out_dir)
    return write_dataset_dir(out_dir, build_top(folder, seed=seed, labeled=labeled,
                                                dev_size=dev_size))
