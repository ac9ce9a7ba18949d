"""Treebank -> dataset directory (see :mod:`mckd.data_prep.dataset_dir` for the layout).

Each tree is normalised (:func:`~mckd.tasks.constituency.treebank.normalize_tree`) and becomes
an :class:`~mckd.core.records.Example` whose ``source`` is its words joined by single spaces
and whose ``gold`` is the normalised one-line tree. Trees that are dropped are counted by
reason in ``dataset.json``. CRAFT's protocol (:mod:`mckd.tasks.constituency.craft`) is this
plus an article filter; the Penn Treebank's (:mod:`mckd.tasks.constituency.ptb`) reads the WSJ
sections with the same functions.
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from nltk import Tree

from mckd.core.hashing import file_fingerprint
from mckd.core.records import Example
from mckd.data_prep.dataset_dir import (
    NO_TRAINING_ON_UNLABELED_GOLD,
    PreparedDataset,
    check_out_dir,
    write_dataset_dir,
)
from mckd.data_prep.splits import DEFAULT_LABELED, DEFAULT_SPLIT, split_examples
from mckd.tasks.constituency.treebank import (
    OnError,
    TreebankRead,
    normalize_tree,
    read_treebank,
    tree_to_line,
    tree_tokens,
)

logger = logging.getLogger(__name__)

EMPTY_AFTER_NORMALISATION = "empty after normalisation (only -NONE- elements)"
MALFORMED_SKIPPED = "malformed, skipped (--skip-malformed)"
NORMALISATION = (
    "-NONE- empty elements and the constituents they leave empty removed; function tags and "
    "co-indices stripped (NP-SBJ-1 -> NP); the unlabeled outer bracket unwrapped; POS tags kept"
)


def token_filter(min_tokens: int, max_tokens: int | None) -> Callable[[list[str]], str | None]:
    """A length filter returning the drop reason for a token list, or None to keep it."""

    def reason(tokens: list[str]) -> str | None:
        if len(tokens) < min_tokens:
            return f"fewer than {min_tokens} tokens"
        if max_tokens is not None and len(tokens) > max_tokens:
            return f"more than {max_tokens} tokens"
        return None

    return reason


def trees_to_examples(
    trees: Iterable[tuple[Tree, str, dict[str, Any]]],
    keep: Callable[[list[str]], str | None],
) -> tuple[list[Example], Counter[str]]:
    """Normalise trees into examples, counting the ones dropped by reason.

    Args:
        trees: ``(raw tree, example id, meta)`` triples.
        keep: returns a drop reason for a normalised tree's tokens, or None to keep it.

    Returns:
        The kept examples in input order and ``Counter(reason -> trees dropped)``.
    """
    examples: list[Example] = []
    dropped: Counter[str] = Counter()
    for raw, ex_id, meta in trees:
        tree = normalize_tree(raw)
        if tree is None:
            dropped[EMPTY_AFTER_NORMALISATION] += 1
            continue
        tokens = tree_tokens(tree)
        reason = keep(tokens)
        if reason is not None:
            dropped[reason] += 1
            continue
        examples.append(Example(id=ex_id, source=" ".join(tokens), gold=tree_to_line(tree),
                                meta=meta))
    return examples, dropped


def reading_info(read: TreebankRead) -> dict[str, Any]:
    """What ``dataset.json`` records about reading a treebank file."""
    return {
        "trees_read": len(read.trees),
        "malformed_skipped": [{"file": Path(read.path).name, "line": line, "reason": why}
                              for line, why in read.skipped],
        "non_ascii_spaces_removed_from_words": read.odd_spaces_removed,
        "normalisation": NORMALISATION,
    }


def merged_reading_info(infos: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One :func:`reading_info` record for many files (counts summed, skips listed)."""
    return {
        "files_read": len(infos),
        "trees_read": sum(info["trees_read"] for info in infos),
        "malformed_skipped": [skip for info in infos for skip in info["malformed_skipped"]],
        "non_ascii_spaces_removed_from_words": sum(
            info["non_ascii_spaces_removed_from_words"] for info in infos),
        "normalisation": NORMALISATION,
    }


def source_entry(role: str, path: str | os.PathLike[str]) -> dict[str, str]:
    """A ``dataset.json`` source record: role, file name (not the full path) and sha256."""
    return {"role": role, "file": Path(path).name, "sha256": file_fingerprint(path)}


def protocol_text(min_tokens: int, max_tokens: int | None, split: Sequence[float],
                  sizes: Sequence[int]) -> str:
    """Human-readable description of the generic treebank protocol."""
    length = f"at least {min_tokens} tokens" + (f" and at most {max_tokens}" if max_tokens else "")
    pools = " and ".join(str(k) for k in sorted(sizes)) or "no"
    shares = "/".join(f"{round(f * 100):g}" for f in split)
    return (f"normalised trees with {length}; seeded random {shares} train/dev/test split; "
            f"labeled pools of {pools} drawn from train, each nested in the next; the rest of "
            "train is the unlabeled pool")


def split_info(files: dict[str, list[Example]], dropped: Counter[str], n_skipped: int, *,
               train_total: int | None = None) -> dict[str, Any]:
    """Counts per split and dropped trees by reason for ``dataset.json``.

    Args:
        files: the dataset's files (labeled pools, unlabeled, dev, test).
        dropped: reason -> examples dropped.
        n_skipped: malformed trees skipped while reading.
        train_total: the train split's size when the unlabeled pool is a draw from it (PTB);
            the train sentences in no file are then counted as ``train_not_drawn``.
    """
    labeled = [stem for stem in files if stem.startswith("labeled_")]
    used = len(files["unlabeled"]) + (len(files[labeled[-1]]) if labeled else 0)
    train = used if train_total is None else train_total
    counts = {"sentences": train + len(files["dev"]) + len(files["test"]), "train": train,
              "dev": len(files["dev"]), "test": len(files["test"])}
    counts.update({stem: len(files[stem]) for stem in (*labeled, "unlabeled")})
    if train_total is not None:
        counts["train_not_drawn"] = train_total - used
    all_dropped = dict(sorted(dropped.items()))
    if n_skipped:
        all_dropped[MALFORMED_SKIPPED] = n_skipped
    return {"counts": counts, "dropped": all_dropped}


def prepare_treebank(
    treebank: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    seed: int = 13,
    labeled: Sequence[int] = DEFAULT_LABELED,
    split: Sequence[float] = DEFAULT_SPLIT,
    min_tokens: int = 2,
    max_tokens: int | None = None,
    on_error: OnError = "raise",
    name: str | None = None,
) -> dict[str, Any]:
    """Build a dataset directory from any PTB-style treebank file.

    Example ids are ``<name>-<n:06d>``, ``n`` counting every tree in the file from 1
    (malformed ones included, so fixing one does not renumber the rest).

    Args:
        treebank: the treebank file (one tree per line or multi-line trees).
        out_dir: a new, empty or existing dataset directory.
        seed: split seed.
        labeled: labeled pool sizes (nested).
        split: train/dev/test fractions.
        min_tokens: drop trees with fewer tokens after normalisation.
        max_tokens: drop trees with more tokens (None keeps all).
        on_error: ``"raise"`` or ``"skip"`` malformed trees (counted in ``dataset.json``).
        name: dataset name and id prefix; defaults to the file's stem.

    Returns:
        The ``dataset.json`` content written.
    """
    check_out_dir(out_dir)
    read = read_treebank(treebank, on_error=on_error)
    name = name or re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(treebank).stem)
    triples = ((tree, f"{name}-{number:06d}",
                {"file": Path(treebank).name, "line": line, "tree": number})
               for (line, tree), number in zip(read.trees, read.numbers, strict=True))
    examples, dropped = trees_to_examples(triples, token_filter(min_tokens, max_tokens))
    files = split_examples(examples, seed=seed, split=split, labeled=labeled)
    info = {
        "task": "constituency",
        "name": name,
        "protocol": protocol_text(min_tokens, max_tokens, split, labeled),
        "seed": seed,
        "split": dict(zip(("train", "dev", "test"), split, strict=True)),
        "filters": {"min_tokens": min_tokens, "max_tokens": max_tokens},
        **split_info(files, dropped, len(read.skipped)),
        "sources": [source_entry("treebank", treebank)],
        "reading": reading_info(read),
        "notes": [NO_TRAINING_ON_UNLABELED_GOLD],
    }
    return write_dataset_dir(out_dir, PreparedDataset(files=files, info=info))
