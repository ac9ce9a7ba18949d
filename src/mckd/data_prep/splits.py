"""Seeded random train/dev/test split with nested labeled pools drawn from train."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from mckd.core.errors import ConfigError, DataError
from mckd.core.records import Example

DEFAULT_SPLIT = (0.5, 0.1, 0.4)
DEFAULT_LABELED = (50, 250)


def check_split_options(split: Sequence[float], labeled: Sequence[int]) -> tuple[int, ...]:
    """Validate split fractions and labeled-pool sizes; return the sizes sorted.

    Raises:
        ConfigError: fractions that are not three non-negative numbers summing to 1 with a
            positive train share, or pool sizes that are not distinct positive integers.
    """
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
) -> dict[str, list[Example]]:
    """Shuffle ``examples`` with ``seed`` and cut them into the files of a dataset directory.

    The shuffled order is cut into train / dev / test (floor of each fraction for train and dev,
    the rest to test). The first ``k`` train examples form ``labeled_<k>`` for each size ``k``,
    so smaller pools are nested in larger ones; the remaining train examples are the unlabeled
    pool. Every list keeps the shuffled order, so any prefix of a file is a random sample.

    Args:
        examples: the whole corpus, each with a unique id.
        seed: the shuffle seed (same examples and seed give the same split).
        split: train, dev, test fractions.
        labeled: labeled pool sizes, e.g. ``(50, 250)``.

    Returns:
        ``{"labeled_50": [...], "labeled_250": [...], "unlabeled": [...], "dev": [...],
        "test": [...]}`` in that order (smallest pool first).

    Raises:
        ConfigError: invalid ``split`` or ``labeled``.
        DataError: too few examples for the requested pools.
    """
    sizes = check_split_options(split, labeled)
    n = len(examples)
    n_train = math.floor(n * split[0] + 1e-9)
    n_dev = math.floor(n * split[1] + 1e-9)
    largest = sizes[-1] if sizes else 0
    if n_train <= largest:
        raise DataError(
            f"only {n} usable sentences ({n_train} in train): too few for a labeled pool of "
            f"{largest} plus an unlabeled pool; use smaller labeled pools or more data"
        )
    order = list(range(n))
    random.Random(seed).shuffle(order)
    shuffled = [examples[i] for i in order]
    train = shuffled[:n_train]
    files = {f"labeled_{k}": train[:k] for k in sizes}
    files["unlabeled"] = train[largest:]
    files["dev"] = shuffled[n_train:n_train + n_dev]
    files["test"] = shuffled[n_train + n_dev:]
    return files
