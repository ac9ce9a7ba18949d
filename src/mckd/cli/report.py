"""``mckd report``: tables and plots for one or several finished runs."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "report", help="compare finished runs: markdown table + PNG plot of F1 by stage",
        description="Print a comparison table of finished runs and write report.md and "
                    "f1_by_stage.png (into the run directory for one run, or --out).")
    p.add_argument("runs", nargs="+", help="run directories (runs/<name>)")
    p.add_argument("--out", help="folder for report.md and the plot (default: the run "
                                 "directory for one run, reports/ for several)")
    return p


def run(args: argparse.Namespace) -> int:
    from mckd.reports.report import write_report
    from mckd.reports.tables import format_table

    out = args.out or (None if len(args.runs) == 1 else "reports")
    path = write_report(args.runs, out)
    print(format_table(args.runs))
    print(f"\nreport: {path}")
    return 0
