"""Paired bootstrap intervals checked against cases computable by hand."""

from __future__ import annotations

import numpy as np
import pytest

from mckd.reports.stats import (
    Interval,
    bootstrap_replicates,
    paired_intervals,
    percentile_interval,
    point_estimates,
)


def test_interval_of_a_mean_matches_the_binomial_distribution_of_resamples():
    # Scores [0, 0, 0, 1]: a resample's mean is k/4 with k ~ Binomial(4, 1/4), so
    # P(mean = 0) = 0.316 > 2.5% -> the lower bound is 0; P(mean >= 0.75) = 0.051 > 2.5% and
    # P(mean = 1) = 0.004 < 2.5% -> the upper bound is 0.75.
    reps = bootstrap_replicates([np.array([[0.0, 0.0, 0.0, 1.0]])], resamples=20000, seed=3)
    assert reps.shape == (20000, 1)
    values, counts = np.unique(reps[:, 0], return_counts=True)
    assert list(values) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert counts[0] / 20000 == pytest.approx(0.75 ** 4, abs=0.01)
    iv = percentile_interval(0.25, reps[:, 0])
    assert (iv.estimate, iv.low, iv.high) == (0.25, 0.0, 0.75)
    assert not iv.significant  # the interval reaches 0
    assert not Interval(0.1, -0.2, 0.4).significant
    assert Interval(0.3, 0.1, 0.5).significant and Interval(-0.3, -0.5, -0.1).significant


def test_two_examples_give_the_three_possible_means():
    # [0, 1] resampled: means 0, 0.5, 1 with probabilities 1/4, 1/2, 1/4 -> 95% CI [0, 1].
    reps = bootstrap_replicates([np.array([[0.0, 1.0]])], resamples=4000, seed=0)[:, 0]
    assert np.mean(reps == 0.5) == pytest.approx(0.5, abs=0.03)
    assert percentile_interval(0.5, reps).format(2) == "[0.00, 1.00]"


def test_pairing_removes_the_spread_shared_by_both_methods():
    # B = A + 2 on every example: A's own interval is wide, but B - A is exactly 2.
    a = np.array([0.0, 100.0, 20.0, 80.0, 50.0, 10.0])
    scores, diffs = paired_intervals([np.stack([a, a + 2])], resamples=500, seed=1)
    assert scores[0].high - scores[0].low > 20
    assert (diffs[1].estimate, diffs[1].low, diffs[1].high) == pytest.approx((2.0, 2.0, 2.0))
    assert diffs[1].significant
    assert (diffs[0].low, diffs[0].high) == (0.0, 0.0) and not diffs[0].significant


def test_identical_methods_are_never_significantly_different():
    a = np.array([3.0, 7.0, 1.0, 9.0])
    _, diffs = paired_intervals([np.stack([a, a])], resamples=200)
    assert (diffs[1].low, diffs[1].high) == (0.0, 0.0) and not diffs[1].significant


def test_groups_are_combined_with_their_weights_and_runs_repeat():
    g1 = np.array([[10.0, 10.0]])  # constant: every replicate's mean is 10
    g2 = np.array([[40.0, 40.0, 40.0]])
    assert point_estimates([g1, g2], [3, 1])[0] == pytest.approx(17.5)
    reps = bootstrap_replicates([g1, g2], weights=[3, 1], resamples=50, seed=9)
    assert np.allclose(reps, 17.5)
    again = bootstrap_replicates([np.array([[1.0, 5.0, 2.0]])], resamples=50, seed=9)
    assert np.array_equal(again, bootstrap_replicates([np.array([[1.0, 5.0, 2.0]])],
                                                      resamples=50, seed=9))


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="no test examples"):
        bootstrap_replicates([])
    with pytest.raises(ValueError, match="same number of methods"):
        bootstrap_replicates([np.zeros((2, 3)), np.zeros((1, 3))])
