"""``mckd run``: run (or resume) the whole MCKD pipeline from a YAML config."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mckd.config.schema import RunConfig

HELP = """Run MCKD end to end: the teacher labels the unlabeled and test inputs, the collaborative
stages relabel the partitions, a final student learns every label, baselines are trained, and
every method is scored on test. Artifacts go to the run directory (default runs/<name>).

Interrupted? Rerun the same command: finished steps are kept, the run continues. A run
directory whose finished steps were made with another config is an error naming the first
changed step; --force-from STEP redoes that step and everything after it, --force redoes all.

Overrides use dotted keys after CONFIG, values parsed as YAML:
  mckd run examples/craft-demo.yaml mckd.stages=2 student.max_epochs=3 seed=1

Several seeds (--seeds 0,1,2, or seeds: [0, 1, 2] in the config) run the config once per seed
into <run dir>/seed_<s>/; report.md in <run dir> aggregates them (mean, spread, bootstrap CIs):
  mckd run examples/craft-table1.yaml student.max_epochs=4 --seeds 0,1
(overrides go before the --options)."""


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("run", help="run or resume MCKD end to end from a YAML config",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="run config (YAML), e.g. examples/craft-demo.yaml")
    p.add_argument("overrides", nargs="*", metavar="key=value",
                   help="config overrides, e.g. mckd.stages=2")
    force = p.add_mutually_exclusive_group()
    force.add_argument("--force-from", metavar="STEP",
                       help="rerun STEP and every later step (e.g. stage_1/A, final, evaluate)")
    force.add_argument("--force", action="store_true", help="rerun every step")
    p.add_argument("--seeds", type=_seed_list, metavar="S,S,...",
                   help="run once per seed into <run dir>/seed_<s> (e.g. 0,1,2)")
    return p


def _seed_list(text: str) -> list[int]:
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give comma-separated integers, e.g. 0,1,2") from None
    if not seeds or any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"{text!r}: give distinct seeds >= 0, e.g. 0,1,2")
    return seeds


def run(args: argparse.Namespace) -> int:
    from mckd.pipeline.config_checks import load_run_config
    from mckd.pipeline.run import run_pipeline
    from mckd.students.distributed import is_main_process

    config = load_run_config(args.config, args.overrides)
    seeds = args.seeds or config.seeds
    if seeds:
        return _run_seeds(config, seeds, args)
    result = run_pipeline(config, force_from=args.force_from, force=args.force)
    if not is_main_process():  # under a launcher process 0 prints and writes the report
        return 0
    if result.skipped and not result.ran:
        print(f"nothing to do: every step of {result.run_dir} already finished")
    print(comparison_table(result.run_dir))
    report = _write_report(result.run_dir)
    print(f"\nrun directory: {result.run_dir}" + (f"\nreport: {report}" if report else ""))
    return 0


def _run_seeds(config: RunConfig, seeds: list[int], args: argparse.Namespace) -> int:
    """One run per seed, then the aggregated table and report in the config's run directory."""
    from mckd.pipeline.seeds import run_seeds
    from mckd.students.distributed import is_main_process

    results = run_seeds(config, seeds, force_from=args.force_from, force=args.force)
    if not is_main_process():
        return 0
    for result in results:
        if result.skipped and not result.ran:
            print(f"nothing to do: every step of {result.run_dir} already finished")
    base = config.run_dir()
    report = _write_report(base)
    try:
        from mckd.reports.report import summary_text

        print(summary_text([base]))
    except ImportError:  # reports need numpy (the train extra)
        for result in results:
            print(comparison_table(result.run_dir))
    print(f"\nrun directories: {', '.join(str(r.run_dir) for r in results)}"
          + (f"\nreport: {report}" if report else ""))
    return 0


def _write_report(run_dir: Path) -> Path | None:
    """report.md + plot in the run directory (skipped, with a note, without matplotlib)."""
    try:
        from mckd.reports.report import write_report

        return write_report([run_dir])
    except ImportError as exc:
        print(f"(report.md not written: {exc}; pip install 'mckd[train]' for plots)")
        return None


def comparison_table(run_dir: Path) -> str:
    """The methods-by-metrics table of a finished run."""
    from mckd.reports.tables import format_table

    return format_table([run_dir])
