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
    """Left: each student's fidelity (score against its training pseudolabels) by epoch;
    right: its held-out score against gold by epoch (when recorded). Stage students dashed;
    the kept epoch is marked with a star."""
    fig, axes = new_figure(width=11.0, height=4.4, ncols=2)
    left, right = axes[0][0], axes[0][1]
    any_heldout = False
    for curve in curves:
        name = f"{curve.experiment}: {curve.label}" if multi else curve.label
        style = "--" if curve.step.startswith("stage_") else "-"
        for ax, values in ((left, curve.fidelity), (right, curve.heldout)):
            points = [(e, v) for e, v in zip(curve.epochs, values, strict=True) if v is not None]
            if not points:
                continue
            any_heldout |= ax is right
            drawn = ax.plot([p[0] for p in points], [p[1] for p in points], style, marker=".",
                            label=name, linewidth=1.2)
            kept = [v for e, v in points if e == curve.kept_epoch]
            if kept:
                ax.scatter([curve.kept_epoch], kept, marker="*", s=80,
                           color=drawn[0].get_color(), zorder=3)
    selection = {c.selection for c in curves}
    left.set_title("fidelity: score against its own training labels"
                   if selection <= {"fidelity"} else f"checkpoint score ({', '.join(selection)})")
    right.set_title("held-out score against gold")
    if not any_heldout:
        right.text(0.5, 0.5, "not recorded\n(analyses.heldout_curves: true records it)",
                   ha="center", va="center", transform=right.transAxes)
        right.set_yticks([])
    from matplotlib.ticker import MaxNLocator

    for ax in (left, right):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    left.set_ylabel("score")
    left.legend(fontsize=6)
    if any_heldout:
        right.legend(fontsize=6)
    return save_figure(fig, path)
