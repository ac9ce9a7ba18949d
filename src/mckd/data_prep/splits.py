"""Seeded random train/dev/test split with nested labeled pools drawn from train.

:func:`split_examples` cuts one corpus into every file of a dataset directory;
:func:`presplit_files` does the same for a corpus that comes already split into train, dev
and test (SNIPS, ATIS, the WSJ sections of the Penn Treebank).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from mckd.core.errors import ConfigError, DataError
from mckd.core.hashing import stable_seed
from mckd.core.records import Example

DEFAULT_SPLIT = (0.5, 0.1, 0.4)
DEFAULT_LABELED = (50, 250)


def check_split_options(split: Sequence[float], labeled: Sequence[int],
                        unlabeled: int | None = None) -> tuple[int, ...]:
    """Validate split fractions, labeled-pool sizes and unlabeled-pool size; return the
    labeled sizes sorted.

    Raises:
        ConfigError: fractions that are not three non-negative numbers summing to 1 with a
            positive train share, pool sizes that are not distinct positive integers, or an
            unlabeled size that is not a positive integer (None means "all").
    """
    if unlabeled is not None and (not isinstance(unlabeled, int) or unlabeled <= 0):
        raise ConfigError(f"the unlabeled pool size must be a positive integer, got {unlabeled!r}")
    if len(split) != 3 or any(f < 0 for f in split) or abs(sum(split) - 1.0) > 1e-6:
        raise ConfigError(
            f"split must be three non-negative fractions (train, dev, test) summing to 1, "
            f"got {tuple(split)}; e.g. 0.5,0.1,0.4"
        )
    if split[0] <= 0:
        raise ConfigError("the train fraction must be positive: labeled and unlabeled pools "
                          "come from train")
    sizes = tuple(sorted(labeled))
    if any(not isinstance(k, int) or k <= 0 for k in sizes) or len(set(sizes)) != len(sizes):
        raise ConfigError(
            f"labeled pool sizes must be distinct positive integers, got {tuple(labeled)}")
    return sizes


def split_examples(
    examples: Sequence[Example],
    *,
    seed: int,
    split: Sequence[float] = DEFAULT_SPLIT,
    labeled: Sequence[int] = DEFAULT_LABELED,
    unlabeled: int | None = None,
) -> dict[str, list[Example]]:
    """Shuffle ``examples`` with ``seed`` and cut them into the files of a dataset directory.

    The shuffled order is cut into train / dev / test (floor of each fraction for train and dev,
    the rest to test). The first ``k`` train examples form ``labeled_<k>`` for each size ``k``,
    so smaller pools are nested in larger ones; the remaining train examples are the unlabeled
    pool, or its first ``unlabeled`` of them (a seeded random draw; the rest of train is then
    in no file). Every list keeps the shuffled order, so any prefix of a file is a random
    sample.

    Args:
        examples: the whole corpus, each with a unique id.
        seed: the shuffle seed (same examples and seed give the same split).
        split: train, dev, test fractions.
        labeled: labeled pool sizes, e.g. ``(50, 250)``.
        unlabeled: size of the unlabeled pool (the PTB protocol draws 20,000); None takes all
            of train after the labeled pools.

    Returns:
        ``{"labeled_50": [...], "labeled_250": [...], "unlabeled": [...], "dev": [...],
        "test": [...]}`` in that order (smallest pool first).

    Raises:
        ConfigError: invalid ``split``, ``labeled`` or ``unlabeled``.
        DataError: too few examples for the requested pools.
    """
    sizes = check_split_options(split, labeled, unlabeled)
    n = len(examples)
    n_train = math.floor(n * split[0] + 1e-9)
    n_dev = math.floor(n * split[1] + 1e-9)
    largest = sizes[-1] if sizes else 0
    if n_train <= largest:
        raise DataError(
            f"only {n} usable sentences ({n_train} in train): too few for a labeled pool of "
            f"{largest} plus an unlabeled pool; use smaller labeled pools or more data"
        )
    rest = n_train - largest
    if unlabeled is not None and unlabeled > rest:
        raise DataError(
            f"only {rest} train sentences remain after the labeled pool of {largest}: too few "
            f"for an unlabeled pool of {unlabeled}; ask for at most {rest} unlabeled (CLI: "
            f"--unlabeled {rest}) or use more data"
        )
    mixed = shuffled(examples, seed)
    train = mixed[:n_train]
    files = {f"labeled_{k}": train[:k] for k in sizes}
    end = n_train if unlabeled is None else largest + unlabeled
    files["unlabeled"] = train[largest:end]
    files["dev"] = mixed[n_train:n_train + n_dev]
    files["test"] = mixed[n_train + n_dev:]
    return files


def shuffled(examples: Sequence[Example], seed: int) -> list[Example]:
    """A copy of ``examples`` in a seeded random order."""
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    return [examples[i] for i in order]


def presplit_files(
    train: Sequence[Example],
    dev: Sequence[Example],
    test: Sequence[Example],
    *,
    seed: int,
    labeled: Sequence[int] = DEFAULT_LABELED,
    unlabeled: int | None = None,
) -> dict[str, list[Example]]:
    """The files of a dataset directory for a corpus that comes split into train/dev/test.

    Train is shuffled with ``seed`` and cut as by :func:`split_examples` (labeled pools from
    its start, then the unlabeled pool); dev and test are kept whole, each in a random order
    seeded from ``seed`` and its role, so any prefix of a file is a random sample.

    Args:
        train: the official train split.
        dev: the official dev split (may be empty).
        test: the official test split.
        seed: the shuffle seed.
        labeled: labeled pool sizes (nested).
        unlabeled: size of the unlabeled pool; None takes all of train after the pools.

    Returns:
        ``{"labeled_<k>": ..., "unlabeled": ..., "dev": ..., "test": ...}``.

    Raises:
        ConfigError: invalid ``labeled`` or ``unlabeled``.
        DataError: train is too small for the requested pools.
    """
    files = split_examples(train, seed=seed, split=(1.0, 0.0, 0.0), labeled=labeled,
                           unlabeled=unlabeled)
    files["dev"] = shuffled(dev, stable_seed(seed, "dev"))
    files["test"] = shuffled(test, stable_seed(seed, "test"))
    return files
