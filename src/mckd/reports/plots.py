"""PNG plots of finished runs (matplotlib, headless)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from mckd.reports.runs import RunSummary, stage_of


def plot_f1_by_stage(runs: Sequence[RunSummary], path: Path) -> Path:
    """Headline score by stage, one line per run.

    x = 0 is the teacher, 1 vanilla KD / first-stage students, K the final student of a K-stage
    run; stage students of the same stage are averaged (the spread is drawn as an error bar).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    for run in runs:
        by_stage: dict[float, list[float]] = defaultdict(list)
        for key, m in run.methods.items():
            x = stage_of(key, run)
            value = m.get(run.headline)
            if x is not None and value is not None and key != "vanilla_kd":
                by_stage[x].append(float(value))
        xs = sorted(by_stage)
        means = [sum(by_stage[x]) / len(by_stage[x]) for x in xs]
        spread = [(max(by_stage[x]) - min(by_stage[x])) / 2 for x in xs]
        line = ax.errorbar(xs, means, yerr=spread, marker="o", capsize=3, label=run.name)
        kd = run.methods.get("vanilla_kd", {}).get(run.headline)
        if kd is not None:
            ax.scatter([1], [kd], marker="s", s=60, color=line[0].get_color(), zorder=3,
                       label=f"{run.name}: vanilla KD")
    ax.set_xticks(range(max((r.stages for r in runs), default=1) + 1))
    ax.set_xlabel("stage (0 = teacher, K = final student)")
    headline = runs[0].headline if runs else "f1"
    ax.set_ylabel(f"test {headline} (paper metric)" if runs and runs[0].task == "constituency"
                  else f"test {headline}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("MCKD: score by stage")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
