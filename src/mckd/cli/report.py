"""``mckd report``: tables, statistics and plots for one or several finished experiments."""

from __future__ import annotations

import argparse

DESCRIPTION = """Compare finished runs. Each RUN is a run directory, or a folder of seed_<s> run
directories made by `mckd run --seeds`. Prints the results table (mean ± sd over seeds, 95%
paired bootstrap interval over test examples) and every method's difference from the teacher
and from vanilla KD with its interval and significance; writes report.md with those tables,
the teacher-quality split, fidelity curves and label statistics per stage, plus
f1_by_stage.png, teacher_quality.png and fidelity_curves.png (into RUN for one experiment, or
--out).

  mckd report runs/craft-table1 runs/craft-table1-self --out reports/craft-table1"""


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "report", help="compare finished runs: tables with bootstrap CIs, analyses, PNG plots",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", help="run directories or folders of seed_<s> runs")
    p.add_argument("--out", help="folder for report.md and the plots (default: the run "
                                 "directory for one experiment, reports/ for several)")
    p.add_argument("--resamples", type=_positive, default=1000,
                   help="bootstrap resamples per interval (default 1000)")
    p.add_argument("--bootstrap-seed", type=int, default=0,
                   help="seed of the bootstrap resampling (default 0)")
    return p


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number >= 1, e.g. 1000")
    return value


def run(args: argparse.Namespace) -> int:
    from mckd.reports.report import summary_text, write_report
    from mckd.reports.runs import expand_runs
    from mckd.reports.tables import format_table

    out = args.out or (None if len(args.runs) == 1 else "reports")
    options = {"resamples": args.resamples, "seed": args.bootstrap_seed}
    path = write_report(args.runs, out, **options)
    single = all(len(expand_runs(r)) == 1 for r in args.runs)
    if single:
        print(format_table(args.runs))  # every method of every run, all metrics
        print()
    print(summary_text(args.runs, results=not single, **options))
    print(f"\nreport: {path}")
    return 0
