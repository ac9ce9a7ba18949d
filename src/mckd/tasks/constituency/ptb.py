"""The paper's Penn Treebank protocol (Zhao et al. 2024) applied to the user's own LDC copy.

The standard WSJ split: sections 02-21 are train, 22 dev, 23 test (00, 01 and 24 are not
read). Trees are normalised as every treebank here (:func:`.prepare.trees_to_examples`); a
sentence with no word left after removing ``-NONE-`` empty elements is dropped and counted.
Train is shuffled with the seed: a labeled pool of 250 with 50 nested inside comes from its
start, then 20,000 unlabeled sentences (the paper's number) from the rest; train sentences
beyond those are in no file (``counts.train_not_drawn``). Dev and test are whole sections in
a seeded random order. Example ids are ``<file stem>-<n:03d>``, ``n`` counting the file's trees
from 1 (``wsj_0201-003``).
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Sequence
from typing import Any

from mckd.core.errors import DataError
from mckd.core.hashing import file_fingerprint, fingerprint
from mckd.core.records import Example
from mckd.data_prep.dataset_dir import (
    NO_TRAINING_ON_UNLABELED_GOLD,
    PreparedDataset,
    check_out_dir,
    write_dataset_dir,
)
from mckd.data_prep.splits import DEFAULT_LABELED, check_split_options, presplit_files
from mckd.tasks.constituency.prepare import (
    merged_reading_info,
    reading_info,
    split_info,
    token_filter,
    trees_to_examples,
)
from mckd.tasks.constituency.treebank import OnError, read_treebank
from mckd.tasks.constituency.wsj import LAYOUT_HELP, WsjFiles, find_wsj_files

logger = logging.getLogger(__name__)

SECTIONS = {"train": tuple(f"{s:02d}" for s in range(2, 22)), "dev": ("22",), "test": ("23",)}
PAPER_UNLABELED = 20_000
#: trees in the standard split of a complete Treebank-3 (what a full copy should give)
COMPLETE_COUNTS = {"train": 39_832, "dev": 1_700, "test": 2_416}


def _read_role(wsj: WsjFiles, role: str, on_error: OnError
               ) -> tuple[list[Example], Counter[str], list[dict[str, Any]]]:
    """Read and normalise every file of a role's sections, one file at a time (only the
    examples are kept, not the trees).

    Returns:
        The examples, the trees dropped by reason, and each file's :func:`.reading_info`.
    """
    keep = token_filter(1, None)  # only sentences left empty by -NONE- removal are dropped
    examples: list[Example] = []
    dropped: Counter[str] = Counter()
    infos = []
    for section in SECTIONS[role]:
        for path in wsj.by_section.get(section, []):
            read = read_treebank(path, on_error=on_error)
            stem = path.stem.lower()
            triples = ((tree, f"{stem}-{number:03d}",
                        {"file": path.name, "section": section, "line": line, "tree": number})
                       for (line, tree), number in zip(read.trees, read.numbers, strict=True))
            kept, lost = trees_to_examples(triples, keep)
            examples += kept
            dropped += lost
            infos.append(reading_info(read))
    return examples, dropped, infos


def _check_sections(wsj: WsjFiles) -> list[str]:
    """Refuse a copy without dev, test or any train section; return missing train sections."""
    absent = [role for role, secs in SECTIONS.items()
              if not any(s in wsj.by_section for s in secs)]
    if absent:
        found = ", ".join(wsj.by_section) or "none"
        wanted = {"train": "02-21", "dev": "22", "test": "23"}
        raise DataError(
            f"no {' or '.join(f'{r} section ({wanted[r]})' for r in absent)} in this copy "
            f"(sections found: {found}); {LAYOUT_HELP}; pass the root of a complete "
            "Treebank-3 (LDC99T42)", path=str(wsj.where))
    missing = [s for s in SECTIONS["train"] if s not in wsj.by_section]
    if missing:
        logger.warning("PTB: train sections missing from %s: %s", wsj.where, ", ".join(missing))
    return missing


def _sources(wsj: WsjFiles) -> list[dict[str, Any]]:
    """One ``dataset.json`` source record per role: file count and a digest of every file
    (sha256 of the list of each file's name and sha256, so renaming a file changes it)."""
    sources = []
    for role, sections in SECTIONS.items():
        files = wsj.files(sections)
        digest = fingerprint([[f.name, file_fingerprint(f)] for f in files])
        span = f"sections {sections[0]}-{sections[-1]}" if len(sections) > 1 else (
            f"section {sections[0]}")
        noun = "file" if len(files) == 1 else "files"
        sources.append({"role": role, "file": f"WSJ {span}: {len(files)} .mrg {noun}",
                        "sha256": digest})
    return sources


def build_ptb(
    root: str | os.PathLike[str],
    *,
    seed: int = 13,
    labeled: Sequence[int] = DEFAULT_LABELED,
    unlabeled: int = PAPER_UNLABELED,
    on_error: OnError = "raise",
) -> PreparedDataset:
    """Apply the PTB protocol (module docstring) in memory; nothing is written.

    Args:
        root: the user's Penn Treebank copy (see :mod:`.wsj` for the layouts read).
        seed: the shuffle seed.
        labeled: labeled pool sizes (nested), the paper's 50 and 250 by default.
        unlabeled: unlabeled sentences drawn from the rest of train (the paper's 20,000).
        on_error: ``"raise"`` or ``"skip"`` malformed trees (skipped ones are counted).

    Raises:
        ConfigError: invalid pool sizes.
        DataError: no usable layout, a missing dev/test/train section, a malformed tree, or a
            train split too small for the pools.
    """
    check_split_options((1.0, 0.0, 0.0), labeled, unlabeled)  # fail before any reading
    wsj = find_wsj_files(root)
    missing = _check_sections(wsj)
    parts: dict[str, list[Example]] = {}
    infos: list[dict[str, Any]] = []
    dropped: Counter[str] = Counter()
    for role in SECTIONS:
        parts[role], role_dropped, role_infos = _read_role(wsj, role, on_error)
        dropped += role_dropped
        infos += role_infos
    files = presplit_files(parts["train"], parts["dev"], parts["test"], seed=seed,
                           labeled=labeled, unlabeled=unlabeled)
    reading = merged_reading_info(infos)
    pools = " and ".join(str(k) for k in sorted(labeled))
    info = {
        "task": "constituency",
        "name": "ptb",
        "protocol": (
            "Penn Treebank WSJ, standard split (sections 02-21 train, 22 dev, 23 test) as in "
            "Zhao et al. 2024: sentences empty after -NONE- removal dropped; train shuffled with "
            f"the seed, labeled pools of {pools} (nested) from its start, {unlabeled:,} "
            "unlabeled sentences from the rest of train; dev and test whole, in a seeded "
            "random order"),
        "seed": seed,
        "sections": {"train": "02-21", "dev": "22", "test": "23",
                     "missing_train_sections": missing, "layout": wsj.layout},
        **split_info(files, dropped, len(reading["malformed_skipped"]),
                     train_total=len(parts["train"])),
        "complete_copy_counts": COMPLETE_COUNTS,
        "sources": _sources(wsj),
        "reading": reading,
        "notes": [NO_TRAINING_ON_UNLABELED_GOLD,
                  "train sentences beyond the labeled and unlabeled pools are in no file"],
    }
    logger.info("PTB: %d train, %d dev, %d test sentences", len(parts["train"]),
                len(parts["dev"]), len(parts["test"]))
    return PreparedDataset(files=files, info=info)


def prepare_ptb(
    root: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    seed: int = 13,
    labeled: Sequence[int] = DEFAULT_LABELED,
    unlabeled: int = PAPER_UNLABELED,
    on_error: OnError = "raise",
) -> dict[str, Any]:
    """Build the PTB dataset directory (:func:`build_ptb`) and write it.

    Args:
        root: the user's Penn Treebank copy.
        out_dir: a new, empty or existing dataset directory.
        seed: the shuffle seed.
        labeled: labeled pool sizes (nested).
        unlabeled: unlabeled pool size.
        on_error: ``"raise"`` or ``"skip"`` malformed trees.

    Returns:
        The ``dataset.json`` content written.
    """
    check_out_dir(out_dir)
    dataset = build_ptb(root, seed=seed, labeled=labeled, unlabeled=unlabeled, on_error=on_error)
    return write_dataset_dir(out_dir, dataset)

