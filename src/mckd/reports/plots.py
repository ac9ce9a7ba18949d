"""PNG plots of finished runs (matplotlib, headless): score by stage.

The analyses' plots (teacher-quality halves, fidelity curves) are in ``plots_analyses``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from statistics import mean, stdev
from typing import Any

from mckd.reports.runs import Experiment, stage_of


def new_figure(width: float = 6.4, height: float = 4.2, ncols: int = 1) -> tuple[Any, Any]:
    """A headless matplotlib figure and its axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(1, ncols, figsize=(width, height), dpi=120, squeeze=ncols == 1)


def save_figure(fig: Any, path: Path) -> Path:
    """Write ``fig`` to ``path`` (folders created) and release it."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def score_axis_label(experiments: Sequence[Experiment]) -> str:
    """``test f1 (paper metric)`` for constituency, else ``test <headline>``."""
    if not experiments:
        return "test f1"
    run = experiments[0].runs[0]
    suffix = " (paper metric)" if run.task == "constituency" else ""
    return f"test {run.headline}{suffix}"


def _spread(values: list[float]) -> tuple[float, float]:
    return mean(values), (stdev(values) if len(values) > 1 else 0.0)


def _runs_of_consecutive(points: list[tuple[float, float, float]]) -> list[list[tuple[float, float, float]]]:
    """``points`` (sorted by x) cut wherever a stage count is missing (x jumps by more than 1):
    a line drawn across the gap would show a score no run has."""
    runs: list[list[tuple[float, float, float]]] = []
    for p in points:
        if runs and p[0] - runs[-1][-1][0] <= 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs


def _stage_tick(x: int, top: int) -> str:
    if x == 0:
        return "teacher"
    if x == 1:
        return "vanilla KD\n(1 stage)"
    return f"{x} stages" if x < top else f"{x} stages\n(MCKD)"


def plot_f1_by_stage(experiments: Sequence[Experiment], path: Path) -> Path:
    """Headline score by number of stages, one colour per experiment (mean over seeds, error
    bars one standard deviation over seeds, each point labelled with its value).

    The teacher (x = 0), vanilla KD (x = 1) and the final MCKD students of every stage count
    run (x = j for ``mckd.sweep``, x = K) are joined only between neighbouring stage counts: a
    3-stage run without ``mckd.sweep: [2]`` has no point at 2, so none is drawn there. Stage
    students (``mckd.eval_stages``) are hollow circles at their stage, KD + SD with filter a
    diamond at 1, SFT a cross at 0. The y axis starts at 0, so a drop looks as large as it is.
    """
    fig, ax = new_figure()
    highest = 0.0
    for exp in experiments:
        run = exp.runs[0]
        line_x, students = [], []
        for key in exp.method_keys():
            x = stage_of(key, run)
            values = exp.values(key, run.headline)
            if x is None or not values:
                continue
            (students if key.startswith("stage_") else line_x).append((x, values))
        line_x.sort(key=lambda xv: xv[0])
        points = [(x, *_spread(v)) for x, v in line_x]
        color = None
        for i, seg in enumerate(_runs_of_consecutive(points)):
            drawn = ax.errorbar([p[0] for p in seg], [p[1] for p in seg],
                                yerr=[p[2] for p in seg], marker="o", capsize=3, color=color,
                                label=exp.name if i == 0 else None)
            color = drawn[0].get_color()
        for x, y, sd in points:
            ax.annotate(f"{y:.1f}", (x, y + sd), textcoords="offset points", xytext=(0, 5),
                        ha="center", fontsize=7, color=color)
            highest = max(highest, y + sd)
        by_stage: dict[float, list[float]] = {}
        for x, values in students:
            by_stage.setdefault(x, []).extend(values)
        if by_stage:
            ax.scatter(list(by_stage), [mean(v) for v in by_stage.values()], facecolors="none",
                       edgecolors=color, s=50, label=f"{exp.name}: stage students (mean)")
        for key, x, marker, what in (("kd_sd_filter", 1, "D", "KD + SD w/ filter"),
                                     ("sft", 0, "x", "SFT (gold only)")):
            values = exp.values(key, run.headline)
            if values:
                ax.scatter([x], [mean(values)], marker=marker, s=60, color=color, zorder=3,
                           label=f"{exp.name}: {what}")
    top = max((r.stages for e in experiments for r in e.runs), default=1)
    ax.set_xticks(range(top + 1))
    ax.set_xticklabels([_stage_tick(x, top) for x in range(top + 1)], fontsize=8)
    ax.set_xlim(-0.4, top + 0.4)
    ax.set_ylim(0, min(105, 10 * math.ceil((highest + 6) / 10)))  # room for the value labels
    ax.set_xlabel("number of stages (points at the stage counts that were run)")
    ax.set_ylabel(score_axis_label(experiments))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title("MCKD: score by number of stages")
    return save_figure(fig, path)
