"""The paper's analyses, computed from finished runs.

- Teacher-quality split (the paper's figure): each seed's test inputs are split into halves
  by the teacher's own per-example score; every student is compared with the teacher on each
  half. The paper's finding: the student loses a little on the teacher's good half and gains a
  lot on its bad half (it learns the pattern of good labels, not the instance-specific errors).
- Fidelity curves: per epoch of every student, its score against its own training
  pseudolabels (the checkpoint rule's fidelity) and, when ``analyses.heldout_curves`` was on,
  against gold on held-out inputs.
- Stage statistics: per collaborative stage, how many labels changed, agreement with the
  previous labels and with the teacher, and validity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mckd.reports.comparison import Method, intervals
from mckd.reports.runs import Experiment, RunSummary
from mckd.reports.stats import RESAMPLES, Interval


def teacher_halves(run: RunSummary) -> tuple[set[str], set[str]] | None:
    """(good half, bad half) of the run's test ids by the teacher's per-example score.

    The good half holds the ``n // 2`` best-scored inputs (ties by id), the bad half the rest.
    """
    got = run.example_scores("teacher")
    if got is None:
        return None
    ids, scores = got
    order = sorted(range(len(ids)), key=lambda i: (-scores[i], ids[i]))
    half = len(ids) // 2
    return {ids[i] for i in order[:half]}, {ids[i] for i in order[half:]}


@dataclass(frozen=True)
class HalfRow:
    """A method on the teacher's good and bad halves, and its difference from the teacher."""

    method: Method
    good: Interval
    bad: Interval
    good_vs_teacher: Interval
    bad_vs_teacher: Interval
    seeds: list[int]


def teacher_quality(methods: Sequence[Method], *, resamples: int = RESAMPLES,
                    seed: int = 0) -> list[HalfRow]:
    """A :class:`HalfRow` per method (stage students left out), the teacher's first."""
    teachers = [m for m in methods if m.key == "teacher"]
    rows = []
    for method in methods:
        if not teachers or method.key.startswith("stage_"):
            continue
        teacher = next((t for t in teachers if t.experiment is method.experiment), teachers[0])
        found = []
        for which in (0, 1):
            def subset(run: RunSummary, which: int = which) -> set[str] | None:
                halves = teacher_halves(run)
                return halves[which] if halves else set()

            found.append(intervals([teacher, method], subset=subset, resamples=resamples,
                                   seed=seed))
        if found[0] is None or found[1] is None:
            continue
        (good, good_diff, seeds), (bad, bad_diff, _) = found
        rows.append(HalfRow(method, good[1], bad[1], good_diff[1], bad_diff[1], seeds))
    return rows


@dataclass(frozen=True)
class Curve:
    """One student's per-epoch scores (None where not measured)."""

    experiment: str
    seed: int
    step: str
    label: str
    epochs: list[int]
    fidelity: list[float | None]
    heldout: list[float | None]
    selection: str
    kept_epoch: int | None


def fidelity_curves(experiments: Sequence[Experiment]) -> list[Curve]:
    """The per-epoch history of every student of each experiment's first seed."""
    curves = []
    for exp in experiments:
        run = exp.runs[0]
        labels = {str(m.get("step")): str(m.get("label")) for m in run.methods.values()}
        for step, entry in run.manifest().items():
            training = (entry.get("info") or {}).get("training") or {}
            history = training.get("history") or []
            if not history:
                continue
            curves.append(Curve(
                exp.name, run.seed, step, labels.get(step, step),
                [int(h["epoch"]) for h in history],
                [h.get("score") for h in history], [h.get("heldout") for h in history],
                str(training.get("selection", "fidelity")), training.get("kept_epoch")))
    return curves


@dataclass(frozen=True)
class StageRow:
    """Label statistics of one stage of one experiment, averaged over its seeds."""

    experiment: str
    stage: str
    values: dict[str, float | None]
    seeds: int


STAGE_COLUMNS = ("labels", "changed", "changed_pct", "agreement_with_previous",
                 "agreement_with_teacher", "gold_score", "valid_pct", "invalid")


def stage_rows(experiments: Sequence[Experiment]) -> list[StageRow]:
    """Teacher labels, each collaborative stage and the KD + SD relabels, per experiment."""
    rows = []
    for exp in experiments:
        per_stage: dict[str, list[dict[str, float | None]]] = {}
        for run in exp.runs:
            for name, values in _run_stages(run.manifest()).items():
                per_stage.setdefault(name, []).append(values)
        for name, found in per_stage.items():
            mean = {c: _mean([v[c] for v in found if v.get(c) is not None]) for c in STAGE_COLUMNS}
            rows.append(StageRow(exp.name, name, mean, len(found)))
    return rows


def _run_stages(steps: dict[str, dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    out: dict[str, dict[str, float | None]] = {}
    teacher = ((steps.get("teacher") or {}).get("counts") or {}).get("unlabeled")
    if teacher:
        out["teacher labels"] = _summarise([{**teacher, "relabeled": teacher.get("n", 0)}])
    stages: dict[int, list[dict[str, Any]]] = {}
    for name, entry in steps.items():
        if name.startswith("stage_") and entry.get("status") == "done":
            stages.setdefault(int(name[6:].split("/")[0]), []).append(entry.get("counts") or {})
    for stage in sorted(stages):
        out[f"stage {stage} relabels"] = _summarise(stages[stage])
    kd_sd = steps.get("kd_sd_filter") or {}
    if kd_sd.get("status") == "done":
        out["KD + SD relabels (before the filter)"] = _summarise([kd_sd.get("counts") or {}])
    return out


def _summarise(parts: list[dict[str, Any]]) -> dict[str, float | None]:
    """Sum the parts' counts; agreement averaged with the parts' sizes as weights."""
    n = sum(p.get("relabeled", 0) for p in parts)
    ok = sum(p.get("valid", 0) + p.get("repaired", 0) for p in parts)
    changed = [p["changed"] for p in parts if "changed" in p]
    out: dict[str, float | None] = {
        "labels": n, "invalid": sum(p.get("invalid", 0) for p in parts),
        "valid_pct": 100.0 * ok / n if n else None,
        "changed": sum(changed) if changed else None,
        "changed_pct": 100.0 * sum(changed) / n if changed and n else None,
    }
    for key in ("agreement_with_previous", "agreement_with_teacher", "gold_score"):
        weighted = [(p[key], p.get("relabeled", 0)) for p in parts if p.get(key) is not None]
        total = sum(w for _, w in weighted)
        out[key] = sum(v * w for v, w in weighted) / total if total else None
    return out


def _mean(values: list[Any]) -> float | None:
    return sum(values) / len(values) if values else None
