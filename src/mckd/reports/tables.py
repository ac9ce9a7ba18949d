"""Markdown tables comparing methods within and across runs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mckd.reports.runs import RunSummary, expand_runs

#: (metrics key, column title) per task; the first is the task's headline metric
COLUMNS: dict[str, list[tuple[str, str]]] = {
    "constituency": [("f1", "paper F1 (sentence mean)"), ("corpus_f1", "corpus F1 (EVALB-style)")],
    "default": [("f1", "F1"), ("sentence_f1", "sentence F1")],
}
COMMON = [("exact_match", "exact %"), ("validity_rate", "valid %"), ("invalid", "invalid"),
          ("pipeline_s", "wall s")]


def _cell(value: Any, key: str) -> str:
    if value is None:
        return "-"
    if key in ("invalid", "n"):
        return str(int(value))
    if key == "pipeline_s":
        return f"{float(value):.0f}"
    return f"{float(value):.1f}"


def format_table(run_dirs: Sequence[str | Path] | Sequence[RunSummary]) -> str:
    """One markdown table: a row per (run, method), the task's metrics as columns.

    Rows list the teacher first, then baselines, stage students and the final MCKD student.
    Runs of different tasks get one table each. A folder of ``seed_<s>`` runs contributes every
    seed (the report's results table aggregates them).
    """
    runs = [x for r in run_dirs for x in ([r] if isinstance(r, RunSummary) else expand_runs(r))]
    names = [r.name for r in runs]
    blocks = []
    for task in dict.fromkeys(r.task for r in runs):
        same = [r for r in runs if r.task == task]
        cols = COLUMNS.get(task, COLUMNS["default"]) + COMMON
        show_run = len(same) > 1
        head = (["run"] if show_run else []) + ["method"] + [title for _, title in cols]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for run in same:
            name = f"{run.name} seed {run.seed}" if names.count(run.name) > 1 else run.name
            for key, m in run.ordered_methods():
                cells = ([name] if show_run else []) + [str(m.get("label", key))]
                cells += [_cell(m.get(k), k) for k, _ in cols]
                lines.append("| " + " | ".join(cells) + " |")
        notes = dict.fromkeys(n for r in same for n in r.notes)
        n_test = {m.get("n") for r in same for m in r.methods.values()}
        footer = [f"Test examples: {', '.join(str(n) for n in sorted(x for x in n_test if x is not None))}."]
        footer += list(notes)
        blocks.append("\n".join(lines) + "\n\n" + "\n".join(footer))
    return "\n\n".join(blocks)


def format_steps(run: RunSummary) -> str:
    """Per-step wall time and peak memory of one run."""
    lines = ["| step | seconds | peak RSS MB |", "|---|---|---|"]
    for name, s in run.steps.items():
        rss = s.get("peak_rss_mb")
        secs = s.get("seconds")
        lines.append(f"| {name} | {'-' if secs is None else f'{secs:.1f}'} | "
                     f"{'-' if rss is None else f'{rss:.0f}'} |")
    total = sum(s.get("seconds") or 0.0 for s in run.steps.values())
    lines.append(f"| **sum of steps** | {total:.1f} | "
                 f"{'-' if run.peak_rss_mb is None else f'{run.peak_rss_mb:.0f}'} |")
    return "\n".join(lines)
