"""Markdown tables of the report: results, differences, teacher-quality halves, fidelity
curves and label statistics per stage. Each returns a table a reader understands without the
code: every column says what it measures."""

from __future__ import annotations

from collections.abc import Sequence

from mckd.reports.analyses import STAGE_COLUMNS, Curve, HalfRow, StageRow
from mckd.reports.comparison import Difference, Method, Row
from mckd.reports.stats import Interval


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _name(method: Method, multi: bool) -> list[str]:
    return ([method.experiment.name] if multi else []) + [method.label]


def results_table(rows: Sequence[Row], headline: str, headline_title: str,
                  extra: Sequence[tuple[str, str]], *, multi: bool) -> str:
    """The Table-1-shaped comparison: a row per method.

    Args:
        rows: from :func:`mckd.reports.comparison.result_rows`.
        headline: the headline metric key; ``headline_title`` its column title.
        extra: further (metric key, column title) columns, means over seeds.
        multi: several experiments (adds a run column).
    """
    head = (["run"] if multi else []) + ["method", "# seeds", f"{headline_title}: mean ± sd",
                                         "95% CI"] + [t for _, t in extra]
    body = []
    for row in rows:
        value = _num(row.means.get(headline))
        if row.std is not None:
            value += f" ± {row.std:.1f}"
        ci = row.interval.format() if row.interval else "- (no per-example predictions)"
        body.append(_name(row.method, multi) + [str(row.seeds), value, ci]
                    + [_num(row.means.get(k), 0 if k.endswith("_s") else 1) for k, _ in extra])
    return _table(head, body)


def differences_table(diffs: Sequence[Difference], *, multi: bool) -> str:
    """Each method minus the teacher / vanilla KD, with its interval and significance."""
    head = (["run"] if multi else []) + ["method", "minus", "difference", "95% CI",
                                         "significant?", "paired seeds"]
    body = []
    for d in diffs:
        ref = d.reference.label + (f" ({d.reference.experiment.name})" if multi else "")
        verdict = ("**yes**, better" if d.interval.low > 0 else "**yes**, worse"
                   if d.interval.high < 0 else "no")
        body.append(_name(d.method, multi) + [ref, f"{d.interval.estimate:+.1f}",
                                              d.interval.format(), verdict,
                                              ", ".join(map(str, d.seeds))])
    return _table(head, body)


def halves_table(rows: Sequence[HalfRow], *, multi: bool) -> str:
    """Each method on the teacher's good and bad halves, and its difference from the teacher."""
    head = (["run"] if multi else []) + ["method", "good half", "bad half",
                                         "good half − teacher (95% CI)",
                                         "bad half − teacher (95% CI)"]
    body = []
    for r in rows:
        body.append(_name(r.method, multi) + [
            f"{r.good.estimate:.1f} {r.good.format()}", f"{r.bad.estimate:.1f} {r.bad.format()}",
            _diff(r.good_vs_teacher, r.method.key), _diff(r.bad_vs_teacher, r.method.key)])
    return _table(head, body)


def _diff(iv: Interval, key: str) -> str:
    if key == "teacher":
        return "-"
    mark = " *" if iv.significant else ""
    return f"{iv.estimate:+.1f} {iv.format()}{mark}"


def curves_table(curves: Sequence[Curve], *, multi: bool) -> str:
    """Per student: epochs run, the kept epoch, its fidelity and held-out score, and the best
    held-out score seen."""
    head = (["run"] if multi else []) + ["student", "epochs", "kept epoch",
                                         "fidelity at kept", "held-out at kept",
                                         "best held-out (epoch)"]
    body = []
    for c in curves:
        at = {e: (f, h) for e, f, h in zip(c.epochs, c.fidelity, c.heldout, strict=True)}
        fid, held = at.get(c.kept_epoch, (None, None)) if c.kept_epoch else (None, None)
        seen = [(h, e) for e, h in zip(c.epochs, c.heldout, strict=True) if h is not None]
        best = f"{max(seen)[0]:.1f} ({max(seen)[1]})" if seen else "-"
        body.append(([c.experiment] if multi else []) + [
            c.label, str(len(c.epochs)), str(c.kept_epoch or "-"), _num(fid), _num(held), best])
    return _table(head, body)


STAGE_TITLES = {
    "labels": "labels", "changed": "changed", "changed_pct": "changed %",
    "agreement_with_previous": "agreement with previous labels %",
    "agreement_with_teacher": "agreement with teacher %",
    "gold_score": "score against gold %", "valid_pct": "valid %",
    "invalid": "invalid",
}


def stages_table(rows: Sequence[StageRow], *, multi: bool) -> str:
    """Label statistics of the teacher, every stage and the KD + SD relabels."""
    # the gold column only where some labels could be scored (offline benchmarks)
    columns = [c for c in STAGE_COLUMNS
               if c != "gold_score" or any(r.values.get(c) is not None for r in rows)]
    head = (["run"] if multi else []) + ["labels of", "# seeds"] + [STAGE_TITLES[c]
                                                                  for c in columns]
    body = []
    for r in rows:
        cells = [_num(r.values.get(c), 0 if c in ("labels", "changed", "invalid") else 1)
                 for c in columns]
        body.append(([r.experiment] if multi else []) + [r.stage, str(r.seeds)] + cells)
    return _table(head, body)
