"""PNG plots of the analyses: teacher-quality halves and fidelity curves."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mckd.reports.analyses import Curve, HalfRow
from mckd.reports.plots import new_figure, save_figure


def plot_teacher_quality(rows: Sequence[HalfRow], path: Path, *, metric: str = "score",
                         multi: bool = False) -> Path:
    """Grouped bars: each method's score on the teacher's good half and on its bad half, with
    95% bootstrap intervals (the paper's teacher-quality figure)."""
    fig, ax = new_figure(width=max(6.4, 1.1 * len(rows) + 2.5))
    width = 0.8 / max(1, len(rows))
    for i, row in enumerate(rows):
        xs = [h + (i - (len(rows) - 1) / 2) * width for h in (0, 1)]
        heights = [row.good.estimate, row.bad.estimate]
        errors = [[h - iv.low for h, iv in zip(heights, (row.good, row.bad), strict=True)],
                  [iv.high - h for h, iv in zip(heights, (row.good, row.bad), strict=True)]]
        name = f"{row.method.experiment.name}: {row.method.label}" if multi else row.method.label
        ax.bar(xs, heights, width=width * 0.95, yerr=errors, capsize=2, label=name)
    ax.set_xticks([0, 1])
    ax.set_xticklabels(["teacher's good half", "teacher's bad half"])
    ax.set_ylabel(metric)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title("Test inputs split by the teacher's own per-example score")
    return save_figure(fig, path)


def plot_fidelity_curves(curves: Sequence[Curve], path: Path, *, multi: bool = False) -> Path:
    """Each student's fidelity (score against its training pseudolabels) by epoch and, when
    recorded (``analyses.heldout_curves``), a second panel with its held-out score against
    gold by epoch. Stage students dashed; the kept epoch is marked with a star."""
    any_heldout = any(v is not None for c in curves for v in c.heldout)
    fig, axes = new_figure(width=11.0 if any_heldout else 6.4, height=4.4,
                           ncols=2 if any_heldout else 1)
    row = axes[0] if any_heldout else [axes]  # one panel: a bare Axes
    panels = [(row[0], "fidelity")] + ([(row[1], "heldout")] if any_heldout else [])
    for curve in curves:
        name = f"{curve.experiment}: {curve.label}" if multi else curve.label
        style = "--" if curve.step.startswith("stage_") else "-"
        for ax, field in panels:
            values = getattr(curve, field)
            points = [(e, v) for e, v in zip(curve.epochs, values, strict=True) if v is not None]
            if not points:
                continue
            drawn = ax.plot([p[0] for p in points], [p[1] for p in points], style, marker=".",
                            label=name, linewidth=1.2)
            kept = [v for e, v in points if e == curve.kept_epoch]
            if kept:
                ax.scatter([curve.kept_epoch], kept, marker="*", s=80,
                           color=drawn[0].get_color(), zorder=3)
    selection = {c.selection for c in curves}
    left = panels[0][0]
    left.set_title("fidelity: score against its own training labels (not a test score)"
                   if selection <= {"fidelity"} else f"checkpoint score ({', '.join(selection)})",
                   fontsize=10)
    if any_heldout:
        panels[1][0].set_title("held-out score against gold (never used to select)",
                               fontsize=10)
    from matplotlib.ticker import MaxNLocator

    for ax, _ in panels:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    left.set_ylabel("score")
    return save_figure(fig, path)
