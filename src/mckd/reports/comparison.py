"""The numbers of the comparison tables: per method, the mean and spread over seeds and a
bootstrap interval; per method, its difference from the teacher and from vanilla KD.

Methods of different experiments (e.g. MCKD and its self-partition ablation, run as two
configs) are compared on the seeds they share, as long as those seeds scored the same test
examples; methods are always paired example by example (see :mod:`mckd.reports.stats`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from mckd.reports.runs import REFERENCES, Experiment, RunSummary
from mckd.reports.stats import RESAMPLES, Interval, paired_intervals

#: a seed's run -> the test ids to keep (None: all)
Subset = Callable[[RunSummary], set[str] | None]


@dataclass(frozen=True)
class Method:
    """One method of one experiment (a row of the tables)."""

    experiment: Experiment
    key: str

    @property
    def label(self) -> str:
        return self.experiment.label(self.key)


@dataclass(frozen=True)
class Paired:
    """Per-example scores of several methods, aligned for paired resampling.

    Attributes:
        groups: per distinct test set, shape (methods, examples): the mean over the seeds
            that scored that test set.
        weights: per group, how many seeds it merges.
        seeds: the seeds used.
    """

    groups: list[np.ndarray]
    weights: list[float]
    seeds: list[int]


def align(methods: Sequence[Method], subset: Subset | None = None) -> Paired | None:
    """The methods' per-example scores on every seed all of them have, with identical test
    ids (restricted to ``subset`` of each seed's run); None when no seed qualifies."""
    common = set.intersection(*(set(m.experiment.seeds) for m in methods))
    by_ids: dict[tuple[str, ...], list[np.ndarray]] = {}
    used = []
    for seed in sorted(common):
        found = [f for f in (_scores(m, seed) for m in methods) if f is not None]
        if len(found) != len(methods) or len({ids for ids, _ in found}) != 1:
            continue  # a method kept no predictions, or the seeds scored other test examples
        ids = found[0][0]
        matrix = np.array([values for _, values in found])  # (methods, examples)
        run = methods[0].experiment.run(seed)
        keep = subset(run) if subset is not None and run is not None else None
        if keep is not None:
            cols = [i for i, id_ in enumerate(ids) if id_ in keep]
            ids, matrix = tuple(ids[i] for i in cols), matrix[:, cols]
        if matrix.shape[1]:
            by_ids.setdefault(ids, []).append(matrix)
            used.append(seed)
    if not by_ids:
        return None
    groups = [np.mean(mats, axis=0) for mats in by_ids.values()]
    return Paired(groups, [float(len(m)) for m in by_ids.values()], used)


def _scores(method: Method, seed: int) -> tuple[tuple[str, ...], list[float]] | None:
    run = method.experiment.run(seed)
    return run.example_scores(method.key) if run else None


def intervals(methods: Sequence[Method], *, subset: Subset | None = None,
              resamples: int = RESAMPLES, seed: int = 0
              ) -> tuple[list[Interval], list[Interval], list[int]] | None:
    """Per method: its score's interval and its difference from ``methods[0]``; the seeds
    used. None when the methods share no comparable seed."""
    paired = align(methods, subset)
    if paired is None:
        return None
    scores, diffs = paired_intervals(paired.groups, weights=paired.weights,
                                     resamples=resamples, seed=seed)
    return scores, diffs, paired.seeds


@dataclass(frozen=True)
class Row:
    """One row of the results table: a method's mean and spread over seeds, and its interval."""

    method: Method
    seeds: int
    means: dict[str, float | None]
    std: float | None
    interval: Interval | None


@dataclass(frozen=True)
class Difference:
    """``method`` minus ``reference`` on the seeds they share, with its interval."""

    method: Method
    reference: Method
    interval: Interval
    seeds: list[int]


def methods_of(experiments: Sequence[Experiment]) -> tuple[list[Method], list[str]]:
    """Every method of every experiment, minus exact repeats; and a note per repeat left out.

    A method is a repeat when an earlier experiment has the same method with identical
    per-example scores on the same seeds (e.g. the teacher of an ablation run).
    """
    kept: list[Method] = []
    notes = []
    for exp in experiments:
        for key in exp.method_keys():
            method = Method(exp, key)
            twin = next((m for m in kept if m.key == key and _identical(m, method)), None)
            if twin is None:
                kept.append(method)
            else:
                notes.append(f"{method.label} of {exp.name} is identical to {twin.label} of "
                             f"{twin.experiment.name} and is not repeated.")
    return kept, notes


def _identical(a: Method, b: Method) -> bool:
    if a.experiment.seeds != b.experiment.seeds:
        return False
    pairs = [(_scores(a, s), _scores(b, s)) for s in a.experiment.seeds]
    return all(x is not None and x == y for x, y in pairs)


def result_rows(methods: Sequence[Method], metrics: Sequence[str], headline: str, *,
                resamples: int = RESAMPLES, seed: int = 0) -> list[Row]:
    """A :class:`Row` per method: means of ``metrics`` over seeds, spread of ``headline``."""
    rows = []
    for method in methods:
        exp = method.experiment
        values = exp.values(method.key, headline)
        found = intervals([method], resamples=resamples, seed=seed)
        means = {k: _mean(exp.values(method.key, k)) for k in metrics}
        std = float(np.std(values, ddof=1)) if len(values) > 1 else None
        rows.append(Row(method, len(values), means, std, found[0][0] if found else None))
    return rows


def differences(methods: Sequence[Method], *, resamples: int = RESAMPLES,
                seed: int = 0) -> list[Difference]:
    """Each method minus each reference (teacher, vanilla KD) it can be paired with.

    The reference comes from the method's own experiment when it has one, else from the first
    experiment that does.
    """
    out = []
    for n, ref_key in enumerate(REFERENCES):
        refs = [m for m in methods if m.key == ref_key]
        for method in methods:
            if not refs or method.key in REFERENCES[:n + 1]:
                continue  # itself, or an earlier reference (its difference is already shown)
            ref = next((r for r in refs if r.experiment is method.experiment), refs[0])
            found = intervals([ref, method], resamples=resamples, seed=seed)
            if found is not None:
                out.append(Difference(method, ref, found[1][1], found[2]))
    return out


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None
