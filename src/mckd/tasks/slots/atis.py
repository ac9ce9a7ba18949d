"""ATIS -> dataset directory, the paper-style protocol, from the user's own copy.

ATIS is LDC-licensed and not shipped. Two layouts of the usual Goo et al. (2018) split (train
4,478, valid 500, test 893 utterances) are read from the folder the user passes:

- split folders ``train/``, ``valid/`` (or ``dev/``) and ``test/``, each with line-aligned
  ``seq.in`` (words), ``seq.out`` (BIO tags) and ``label`` (intent); see :mod:`.seqfiles`;
- ``train.jsonl``, ``valid.jsonl`` (or ``dev.jsonl``) and ``test.jsonl``, each line
  ``{"input": words, "output": BIO tags, "intent": ...}`` (the layout ``mckd data snips``
  reads).

Protocol, as for SNIPS (:mod:`.prepare`): train is shuffled with the seed, labeled pools of 250
and 50 (nested) are its first examples and the rest of train is the unlabeled pool; dev = valid
and test = test, each in a seeded random order. Multi-intent labels joined with ``#``
(``atis_flight#atis_airfare``) are kept as given in ``meta.intent``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mckd.core.errors import DataError
from mckd.core.hashing import file_fingerprint
from mckd.core.records import Example
from mckd.data_prep.dataset_dir import PreparedDataset, check_out_dir, write_dataset_dir
from mckd.data_prep.splits import DEFAULT_LABELED
from mckd.tasks.slots.prepare import build_slot_dataset, pools_text, read_slot_file
from mckd.tasks.slots.seqfiles import INTENTS, TAGS, WORDS, read_seq_folder

logger = logging.getLogger(__name__)

#: role -> accepted split names, first preferred
SPLIT_NAMES = {"train": ("train",), "dev": ("valid", "dev"), "test": ("test",)}
#: utterances of the Goo et al. split (what a complete copy gives)
COMPLETE_COUNTS = {"train": 4_478, "dev": 500, "test": 893}
LAYOUT_HELP = (
    "expected either folders train/, valid/ (or dev/) and test/, each holding line-aligned "
    f"{WORDS} (words), {TAGS} (BIO tags) and {INTENTS} (intent), or files train.jsonl, "
    'valid.jsonl (or dev.jsonl) and test.jsonl with {"input", "output", "intent"} per line; '
    "pass the folder that holds them"
)
MULTI_INTENT_NOTE = ("multi-intent labels joined with '#' (atis_flight#atis_airfare) are kept as "
                     "given in meta.intent")


def find_atis_layout(folder: str | os.PathLike[str]) -> tuple[str, dict[str, Path]]:
    """Which layout ``folder`` holds and each role's split folder or file.

    Returns:
        ``("seq", {role: split folder})`` or ``("jsonl", {role: file})``.

    Raises:
        DataError: ``folder`` is missing, or holds neither layout completely (naming what is
            missing, the expected layouts and the fix).
    """
    folder = Path(folder)
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "ATIS folder not found"
        raise DataError(f"{what}; {LAYOUT_HELP}", path=str(folder))
    for layout, path_of in (("seq", lambda n: folder / n / WORDS),
                            ("jsonl", lambda n: folder / f"{n}.jsonl")):
        if not path_of("train").is_file():
            continue
        found, missing = {}, []
        for role, names in SPLIT_NAMES.items():
            hit = next((path_of(n) for n in names if path_of(n).is_file()), None)
            if hit is None:
                missing.append(" or ".join(str(path_of(n).relative_to(folder)) for n in names))
            else:
                found[role] = hit.parent if layout == "seq" else hit
        if missing:
            raise DataError(f"has {path_of('train').relative_to(folder)} but no "
                            f"{' and no '.join(missing)}; {LAYOUT_HELP}", path=str(folder))
        return layout, found
    raise DataError(f"no ATIS train split here (neither train/{WORDS} nor train.jsonl); "
                    f"{LAYOUT_HELP}", path=str(folder))


def _sources(folder: Path, layout: str, where: dict[str, Path]) -> list[dict[str, str]]:
    """``dataset.json`` source records, files named relative to ``folder``."""
    if layout == "jsonl":
        paths = list(where.items())
    else:
        paths = [(role, where[role] / name) for role in where for name in (WORDS, TAGS, INTENTS)
                 if (where[role] / name).is_file()]
    return [{"role": role, "file": path.relative_to(folder).as_posix(),
             "sha256": file_fingerprint(path)} for role, path in paths]


def read_atis(folder: str | os.PathLike[str]
              ) -> tuple[str, dict[str, list[Example]], list[dict[str, str]]]:
    """Read an ATIS copy in either layout.

    Example ids are ``atis-<split>-<n:05d>`` (``n`` = line or record, from 1) in both layouts.

    Returns:
        The layout (``seq``/``jsonl``), ``{"train", "dev", "test"} -> examples`` and the
        ``dataset.json`` source records.

    Raises:
        DataError: see :func:`find_atis_layout`, :func:`.seqfiles.read_seq_folder` and
            :func:`.prepare.read_slot_file`.
    """
    folder = Path(folder)
    layout, where = find_atis_layout(folder)
    if layout == "seq":
        parts = {role: read_seq_folder(path, f"atis-{path.name}") for role, path in where.items()}
    else:
        parts = {role: read_slot_file(path, f"atis-{path.stem}") for role, path in where.items()}
    return layout, parts, _sources(folder, layout, where)


def build_atis(folder: str | os.PathLike[str], *, seed: int = 13,
               labeled: Sequence[int] = DEFAULT_LABELED) -> PreparedDataset:
    """Apply the ATIS protocol (module docstring) in memory; nothing is written.

    Raises:
        DataError: a layout problem, a malformed line, or a train split too small for the
            pools.
    """
    layout, parts, sources = read_atis(folder)
    protocol = ("ATIS (Goo et al. 2018 split), read from the user's copy: train shuffled with the "
                f"seed, {pools_text(labeled)} from its start, the rest of train unlabeled; "
                "dev = valid and test = test, each in a seeded random order")
    dataset = build_slot_dataset("atis", parts, sources, seed=seed, labeled=labeled,
                                 protocol=protocol, notes=[MULTI_INTENT_NOTE])
    every = [ex for part in parts.values() for ex in part]
    dataset.info["layout"] = layout
    dataset.info["multi_intent_utterances"] = sum("#" in ex.meta.get("intent", "")
                                                  for ex in every)
    dataset.info["complete_copy_counts"] = COMPLETE_COUNTS
    return dataset


def prepare_atis(folder: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                 seed: int = 13, labeled: Sequence[int] = DEFAULT_LABELED) -> dict[str, Any]:
    """Build the ATIS dataset directory (:func:`build_atis`) and write it.

    Args:
        folder: the ATIS copy (split folders with seq.in/seq.out/label, or JSONL files).
        out_dir: a new, empty or existing dataset directory.
        seed: the shuffle seed.
        labeled: labeled pool sizes (nested), the paper's 50 and 250 by default.

    Returns:
        The ``dataset.json`` content written.
    """
    check_out_dir(out_dir)
    return write_dataset_dir(out_dir, build_atis(folder, seed=seed, labeled=labeled))
