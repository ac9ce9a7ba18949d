"""Paired bootstrap confidence intervals over test examples (numpy only).

Resampling the test examples with replacement asks: how much would a score, or a difference
between two methods, move on another test set of the same size from the same population? The
resampling is *paired*: every method is scored on the same resampled examples, so a
difference's interval reflects how consistently one method beats the other example by example,
not the two methods' separate spreads.

Several test sets can be combined (a run per seed, each possibly with its own test sample):
each *group* is resampled on its own and a replicate is the weighted mean of the groups'
means. Seeds that share their test examples are one group whose per-example scores are the
mean over those seeds, which is the same as resampling the same examples for every seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: resamples used unless a caller asks otherwise
RESAMPLES = 1000
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A point estimate with a percentile bootstrap interval.

    Attributes:
        estimate: the statistic on the actual test examples.
        low: lower bound ((1 - level) / 2 percentile of the replicates).
        high: upper bound ((1 + level) / 2 percentile).
    """

    estimate: float
    low: float
    high: float

    @property
    def significant(self) -> bool:
        """Whether the interval excludes 0 (meaningful for differences)."""
        return self.low > 0 or self.high < 0

    def format(self, digits: int = 1) -> str:
        """``[low, high]`` rounded to ``digits``."""
        return f"[{self.low:.{digits}f}, {self.high:.{digits}f}]"


def bootstrap_replicates(
    groups: Sequence[np.ndarray],
    *,
    weights: Sequence[float] | None = None,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> np.ndarray:
    """Paired bootstrap replicates of every method's mean score.

    Args:
        groups: per test set, an array of shape (m, n_g): the per-example scores of m methods
            (rows, the same methods in every group) on the same n_g examples (columns).
        weights: per group, its weight in the combined mean (default: equal).
        resamples: number of bootstrap replicates.
        seed: seeds the resampling (the same inputs and seed give the same replicates).

    Returns:
        Shape (resamples, m): per replicate, the weighted mean over groups of each method's
        mean over the resampled examples of the group (the same resampled examples for all
        methods: paired).

    Raises:
        ValueError: no groups, an empty group, or groups with different numbers of methods.
    """
    if not groups:
        raise ValueError("no test examples to resample")
    arrays = [np.asarray(g, dtype=float) for g in groups]
    m = arrays[0].shape[0]
    if any(a.ndim != 2 or a.shape[0] != m or a.shape[1] == 0 for a in arrays):
        raise ValueError("every group must be a non-empty (methods, examples) array with the "
                         "same number of methods")
    w = np.ones(len(arrays)) if weights is None else np.asarray(weights, dtype=float)
    rng = np.random.default_rng(seed)
    out = np.zeros((resamples, m))
    for weight, scores in zip(w, arrays, strict=True):
        n = scores.shape[1]
        idx = rng.integers(0, n, size=(resamples, n))  # (R, n) example indices per replicate
        out += weight * scores[:, idx].mean(axis=2).T  # (m, R, n) -> (R, m)
    return out / w.sum()


def point_estimates(groups: Sequence[np.ndarray],
                    weights: Sequence[float] | None = None) -> np.ndarray:
    """Shape (m,): the weighted mean over groups of each method's mean score."""
    w = np.ones(len(groups)) if weights is None else np.asarray(weights, dtype=float)
    means = np.stack([np.asarray(g, dtype=float).mean(axis=1) for g in groups])  # (G, m)
    return (w[:, None] * means).sum(axis=0) / w.sum()


def percentile_interval(estimate: float, replicates: np.ndarray,
                        level: float = LEVEL) -> Interval:
    """The percentile interval of 1-D ``replicates`` around ``estimate``."""
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(replicates, [tail, 100 - tail])
    return Interval(float(estimate), float(low), float(high))


def paired_intervals(
    groups: Sequence[np.ndarray],
    *,
    weights: Sequence[float] | None = None,
    resamples: int = RESAMPLES,
    seed: int = 0,
    level: float = LEVEL,
) -> tuple[list[Interval], list[Interval]]:
    """Intervals of each method's score and of each method's difference from method 0.

    Args:
        groups, weights, resamples, seed: as in :func:`bootstrap_replicates`; row 0 of every
            group is the reference method.
        level: coverage of the intervals.

    Returns:
        (per method: its score's interval; per method: the interval of method - method 0,
        which is exactly 0 for method 0 itself).
    """
    reps = bootstrap_replicates(groups, weights=weights, resamples=resamples, seed=seed)
    points = point_estimates(groups, weights)
    scores = [percentile_interval(points[i], reps[:, i], level) for i in range(len(points))]
    diffs = [percentile_interval(points[i] - points[0], reps[:, i] - reps[:, 0], level)
             for i in range(len(points))]
    return scores, diffs
