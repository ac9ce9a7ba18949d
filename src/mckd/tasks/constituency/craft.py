"""The paper's CRAFT protocol (Zhao et al. 2024, following the CRAFT v5 treebank).

Sentences: the trees of the original 67 CRAFT articles (``in_original_67 == 1`` in the
index; CRAFT's own train + dev lists) that keep more than one token after normalisation:
21,121, the number the paper reports. They are split at random 50/10/40 into train/dev/test
with a recorded seed (the paper's seed is unknown); labeled pools of 250 and 50 (nested) come
from train, and the rest of train is the unlabeled pool.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mckd.core.errors import DataError
from mckd.data_prep.dataset_dir import (
    NO_TRAINING_ON_UNLABELED_GOLD,
    PreparedDataset,
    check_out_dir,
    write_dataset_dir,
)
from mckd.data_prep.splits import DEFAULT_LABELED, DEFAULT_SPLIT, split_examples
from mckd.tasks.constituency.prepare import (
    protocol_text,
    reading_info,
    source_entry,
    split_info,
    token_filter,
    trees_to_examples,
)
from mckd.tasks.constituency.treebank import OnError, read_treebank

logger = logging.getLogger(__name__)

INDEX_COLUMNS = ("line", "pmid", "sent_in_doc", "in_original_67")
NOT_ORIGINAL_67 = "not in the original 67 CRAFT articles (v4 additions)"
PAPER_SENTENCES = 21_121
UNLABELED_NOTE = ("the paper reports 9,060 unlabeled CRAFT inputs; here the unlabeled pool is all "
                  "of train except the largest labeled pool")


def read_craft_index(path: str | os.PathLike[str]) -> dict[int, dict[str, str]]:
    """Read CRAFT's ``index.tsv``: treebank line -> row (pmid, sent_in_doc, in_original_67, ...).

    Raises:
        DataError: missing file, missing columns, or a row with a bad line number.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError("CRAFT index not found; pass the index.tsv that comes with trees.txt",
                        path=str(p))
    rows: dict[int, dict[str, str]] = {}
    with p.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        missing = [c for c in INDEX_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"index lacks column(s) {', '.join(missing)}; expected a tab-separated "
                            f"header with {', '.join(INDEX_COLUMNS)}", path=str(p), line=1)
        for lineno, row in enumerate(reader, start=2):
            try:
                rows[int(row["line"])] = row
            except (TypeError, ValueError):
                raise DataError(f"'line' is {row['line']!r}, not a number", path=str(p),
                                line=lineno) from None
    return rows


def build_craft(
    treebank: str | os.PathLike[str],
    index: str | os.PathLike[str],
    *,
    seed: int = 13,
    labeled: Sequence[int] = DEFAULT_LABELED,
    split: Sequence[float] = DEFAULT_SPLIT,
    on_error: OnError = "raise",
) -> PreparedDataset:
    """Apply the CRAFT protocol in memory (see the module docstring); nothing is written.

    Example ids are ``craft-<pmid>-<sent_in_doc:04d>``; meta holds pmid, treebank line and
    CRAFT's own split of the article.

    Raises:
        DataError: unreadable files, or a treebank line the index does not describe.
    """
    read = read_treebank(treebank, on_error=on_error)
    rows = read_craft_index(index)
    kept_trees, n_other = [], 0
    for line, tree in read.trees:
        row = rows.get(line)
        if row is None:
            raise DataError(f"the index has no row for treebank line {line}; pass the index.tsv "
                            "made for this trees.txt", path=str(index))
        if row["in_original_67"] != "1":
            n_other += 1
            continue
        meta = {"pmid": row["pmid"], "line": line, "craft_split": row.get("craft_split", "")}
        kept_trees.append((tree, f"craft-{row['pmid']}-{int(row['sent_in_doc']):04d}", meta))
    examples, dropped = trees_to_examples(kept_trees, token_filter(2, None))
    dropped[NOT_ORIGINAL_67] = n_other
    logger.info("CRAFT protocol kept %d sentences (the paper reports %d)",
                len(examples), PAPER_SENTENCES)
    files = split_examples(examples, seed=seed, split=split, labeled=labeled)
    info = {
        "task": "constituency",
        "name": "craft",
        "protocol": ("CRAFT v5 treebank, original 67 articles (in_original_67 == 1), as in Zhao "
                     f"et al. 2024 ({PAPER_SENTENCES:,} sentences); "
                     + protocol_text(2, None, split, labeled)),
        "seed": seed,
        "split": dict(zip(("train", "dev", "test"), split, strict=True)),
        "filters": {"articles": "in_original_67 == 1", "min_tokens": 2, "max_tokens": None},
        **split_info(files, dropped, len(read.skipped)),
        "paper_reports": {"sentences": PAPER_SENTENCES},
        "sources": [source_entry("treebank", treebank), source_entry("index", index)],
        "reading": reading_info(read),
        "notes": [NO_TRAINING_ON_UNLABELED_GOLD, UNLABELED_NOTE],
    }
    return PreparedDataset(files=files, info=info)


def prepare_craft(
    treebank: str | os.PathLike[str],
    index: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    seed: int = 13,
    labeled: Sequence[int] = DEFAULT_LABELED,
    split: Sequence[float] = DEFAULT_SPLIT,
    on_error: OnError = "raise",
) -> dict[str, Any]:
    """Build the CRAFT dataset directory (see :func:`build_craft`) and write it.

    Args:
        treebank: CRAFT ``trees.txt`` (one tree per line).
        index: CRAFT ``index.tsv`` describing each line of ``treebank``.
        out_dir: a new, empty or existing dataset directory.
        seed: split seed.
        labeled: labeled pool sizes (nested), the paper's 50 and 250 by default.
        split: train/dev/test fractions, the paper's 50/10/40 by default.
        on_error: ``"raise"`` or ``"skip"`` malformed trees.

    Returns:
        The ``dataset.json`` content written.
    """
    check_out_dir(out_dir)
    dataset = build_craft(treebank, index, seed=seed, labeled=labeled, split=split,
                          on_error=on_error)
    return write_dataset_dir(out_dir, dataset)
