"""``report.md`` for one or several finished runs."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from mckd.reports.plots import plot_f1_by_stage
from mckd.reports.runs import load_run
from mckd.reports.tables import format_steps, format_table

log = logging.getLogger(__name__)

PLOT_NAME = "f1_by_stage.png"


def write_report(run_dirs: Sequence[str | Path], out_dir: str | Path | None = None) -> Path:
    """Write ``report.md`` and ``f1_by_stage.png``.

    Args:
        run_dirs: finished run directories.
        out_dir: where to write; defaults to the run directory when there is one run.

    Returns:
        The path of ``report.md``.
    """
    runs = [load_run(d) for d in run_dirs]
    if out_dir is None:
        if len(runs) != 1:
            raise ValueError("out_dir is required when comparing several runs")
        out_dir = runs[0].path
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plot_f1_by_stage(runs, out / PLOT_NAME)
    parts = ["# MCKD report", "", format_table(runs), "", f"![score by stage]({PLOT_NAME})", ""]
    for run in runs:
        parts += [f"## {run.name}", "", f"Run directory: `{run.path}`", ""]
        if run.teacher:
            parts += ["Teacher:", "", "```json", json.dumps(run.teacher, indent=2), "```", ""]
        parts += ["Steps:", "", format_steps(run), ""]
    path = out / "report.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    log.info("wrote %s", path)
    return path
