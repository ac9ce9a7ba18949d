"""``report.md`` and its plots for one or several finished experiments.

An experiment is a run directory or a folder of ``seed_<s>`` run directories (``mckd run
--seeds``). The report holds, in order: the results table (mean ± sd over seeds, bootstrap
interval), every method's difference from the teacher and from vanilla KD with significance,
the score by number of stages, the teacher-quality split, the fidelity curves, label
statistics per stage, and per run its teacher and timings.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mckd.reports.analyses import fidelity_curves, stage_rows, teacher_quality
from mckd.reports.comparison import Method, differences, methods_of, result_rows
from mckd.reports.plots import plot_f1_by_stage, score_axis_label
from mckd.reports.plots_analyses import plot_fidelity_curves, plot_teacher_quality
from mckd.reports.runs import Experiment, RunSummary, load_experiments
from mckd.reports.sections import (
    curves_table,
    differences_table,
    halves_table,
    results_table,
    stages_table,
)
from mckd.reports.stats import RESAMPLES
from mckd.reports.tables import COLUMNS, format_steps

log = logging.getLogger(__name__)

PLOT_NAME = "f1_by_stage.png"
HALVES_PLOT = "teacher_quality.png"
CURVES_PLOT = "fidelity_curves.png"

INTERVALS_TEXT = (
    "Intervals are 95% paired bootstrap intervals over the test examples ({resamples:,} "
    "resamples, seed {seed}) of the mean per-example score (for constituency parsing that is "
    "the paper metric itself); with several seeds, seeds that scored the same test examples "
    "are resampled together, and the interval is that of the mean over seeds. ± is the "
    "standard deviation over seeds. A difference is significant when its interval excludes 0.")
HALVES_TEXT = (
    "Each seed's test inputs are split in two by the teacher's own per-example score: the good "
    "half (its best-scored inputs) and the bad half. The paper's finding: a student trained on "
    "the teacher's labels loses little on the good half and beats the teacher on the bad half. "
    "`*`: the difference is significant.")
CURVES_TEXT = (
    "Per epoch of every student (first seed of each run): fidelity, its score against its own "
    "training labels (the checkpoint rule stops when it plateaus), and, when "
    "`analyses.heldout_curves` is on, its score against gold on held-out test inputs (never "
    "used to select or stop). The kept epoch is starred in the plot.")
STAGES_TEXT = (
    "Per collaborative stage, summed over its students (mean over seeds): labels written, how "
    "many differ from the labels they replace, agreement (the task's per-example score between "
    "the two labels, %) with the previous labels and with the teacher's, the share that is "
    "well formed, and, where the unlabeled inputs have gold annotations (offline benchmarks), "
    "the labels' own score against gold: whether a stage's relabels are better or worse than "
    "the labels they replace.")


def write_report(run_dirs: Sequence[str | Path], out_dir: str | Path | None = None, *,
                 resamples: int = RESAMPLES, seed: int = 0) -> Path:
    """Write ``report.md`` and its PNG plots.

    Args:
        run_dirs: experiments: finished run directories or folders of ``seed_<s>`` runs.
        out_dir: where to write; defaults to the experiment's folder when there is one.
        resamples: bootstrap resamples per interval.
        seed: seed of the bootstrap resampling.

    Returns:
        The path of ``report.md``.
    """
    experiments = load_experiments(run_dirs)
    if out_dir is None:
        if len(experiments) != 1:
            raise ValueError("out_dir is required when comparing several experiments")
        out_dir = experiments[0].path
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    parts = ["# MCKD report", ""] + _overview(experiments, resamples, seed)
    parts += _results(experiments, out, resamples, seed)
    parts += ["## Runs", ""]
    for exp in experiments:
        parts += _run_details(exp)
    path = out / "report.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    log.info("wrote %s", path)
    return path


def _overview(experiments: Sequence[Experiment], resamples: int, seed: int) -> list[str]:
    lines = []
    for exp in experiments:
        run = exp.runs[0]
        n_test = sorted({m.get("n") for r in exp.runs for m in r.methods.values() if m.get("n")})
        lines.append(f"- **{exp.name}** (`{exp.path}`): task {run.task}, {run.stages} stages, "
                     f"relabel {run.relabel}{', gold mixed in' if run.mix_gold else ''}; seeds "
                     f"{', '.join(map(str, exp.seeds))}; test examples per seed "
                     f"{', '.join(map(str, n_test))}.")
    notes = dict.fromkeys(n for e in experiments for r in e.runs for n in r.notes)
    lines += ["", *notes, ""] if notes else [""]
    lines += [INTERVALS_TEXT.format(resamples=resamples, seed=seed), ""]
    return lines


def _results(experiments: Sequence[Experiment], out: Path, resamples: int,
             seed: int) -> list[str]:
    multi = len(experiments) > 1
    methods, repeats = methods_of(experiments)
    parts = ["## Results", "", _results_table(experiments, methods, resamples, seed),
             "", *(repeats + [""] if repeats else []),
             "wall s per seed: the method's own step and every step it depends on.", ""]
    diffs = differences(methods, resamples=resamples, seed=seed)
    parts += ["## Differences from the teacher and from vanilla KD", "",
              differences_table(diffs, multi=multi) if diffs else
              "No method could be paired with the teacher or vanilla KD (no predictions kept).",
              ""]
    plot_f1_by_stage(experiments, out / PLOT_NAME)
    parts += ["## Score by number of stages", "", f"![score by stage]({PLOT_NAME})", ""]
    halves = teacher_quality(methods, resamples=resamples, seed=seed)
    parts += ["## Teacher-quality split", "", HALVES_TEXT, ""]
    if halves:
        plot_teacher_quality(halves, out / HALVES_PLOT, metric=score_axis_label(experiments),
                             multi=multi)
        parts += [halves_table(halves, multi=multi), "", f"![teacher-quality split]({HALVES_PLOT})",
                  ""]
    else:
        parts += ["Not available: the runs kept no per-example teacher predictions.", ""]
    parts += _curves(experiments, out, multi)
    stages = stage_rows(experiments)
    parts += ["## Labels per stage", "", STAGES_TEXT, "",
              stages_table(stages, multi=multi) if stages else "No stage statistics recorded.",
              ""]
    return parts


def _curves(experiments: Sequence[Experiment], out: Path, multi: bool) -> list[str]:
    curves = fidelity_curves(experiments)
    parts = ["## Fidelity curves", "", CURVES_TEXT, ""]
    if not curves:
        return parts + ["Not available: the students recorded no per-epoch history.", ""]
    plot_fidelity_curves(curves, out / CURVES_PLOT, multi=multi)
    if not any(h is not None for c in curves for h in c.heldout):
        parts += [("Held-out curves were not recorded (`analyses.heldout_curves: true` "
                   "records them)."), ""]
    return parts + [curves_table(curves, multi=multi), "", f"![fidelity curves]({CURVES_PLOT})",
                    ""]


def _run_details(exp: Experiment) -> list[str]:
    parts = [f"### {exp.name}", ""]
    for run in exp.runs:
        parts += [f"Seed {run.seed}: `{run.path}`, {_timing(run)}", "", format_steps(run), ""]
    if exp.runs[0].teacher:
        parts += ["Teacher: " + teacher_summary(exp.runs[0].teacher)
                  + " Its whole description is `teacher` in `metrics.json`.", ""]
    return parts


def _timing(run: RunSummary) -> str:
    """The run's wall time (the time some step was running, from the manifest's start and
    finish times: steps side by side count once, pauses between resumed calls not at all)
    and the sum of its step times."""
    total = sum(s.get("seconds") or 0.0 for s in run.steps.values())
    spans = []
    for entry in run.manifest().values():
        try:
            spans.append((_epoch_seconds(entry["started"]), _epoch_seconds(entry["finished"])))
        except (KeyError, TypeError, ValueError):
            continue
    if not spans:
        return f"step times add up to {total:.0f} s."
    wall, end = 0.0, float("-inf")
    for start, finish in sorted(spans):
        if finish > end:
            wall += finish - max(start, end)
            end = finish
    side = " (student steps ran side by side)" if wall < total - 2 else ""
    return f"{wall:.0f} s wall (1 s resolution); its steps' times add up to {total:.0f} s{side}."


def _epoch_seconds(stamp: str) -> float:
    from datetime import datetime

    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z").timestamp()


def teacher_summary(teacher: dict[str, Any]) -> str:
    """One sentence about the teacher from its description: backend, model or file, and for
    the simulation its calibration (target and achieved mean score on the reference set)."""
    text = f"`{teacher.get('backend', '?')}`"
    for key, what in (("model", "model"), ("path", "file")):
        if teacher.get(key):
            text += f", {what} `{teacher[key]}`"
    cal = teacher.get("calibration")
    if teacher.get("simulation"):
        text += " (a simulation: gold labels corrupted with LLM-like errors, no language model"
        if isinstance(cal, dict) and "achieved" in cal:
            text += (f"; calibrated to {cal.get('target')}, achieved {cal['achieved']} on "
                     f"{cal.get('n', '?')} reference examples")
        text += ")"
    prompt = teacher.get("prompt")
    if isinstance(prompt, dict) and prompt.get("num_demos"):
        text += f"; {prompt['num_demos']} demonstrations per prompt ({prompt.get('selection')})"
    return text + "."


def summary_text(run_dirs: Sequence[str | Path], *, resamples: int = RESAMPLES, seed: int = 0,
                 results: bool = True) -> str:
    """What ``mckd run``/``mckd report`` print: the results table (aggregated over seeds; left
    out when ``results`` is false) and the significance of every difference from the teacher
    and vanilla KD."""
    experiments = load_experiments(run_dirs)
    methods, _ = methods_of(experiments)
    blocks = [_results_table(experiments, methods, resamples, seed)] if results else []
    diffs = differences(methods, resamples=resamples, seed=seed)
    if diffs:
        blocks.append(differences_table(diffs, multi=len(experiments) > 1))
    if results:
        blocks += dict.fromkeys(n for e in experiments for r in e.runs for n in r.notes)
    return "\n\n".join(blocks)


def _results_table(experiments: Sequence[Experiment], methods: Sequence[Method], resamples: int,
                   seed: int) -> str:
    run = experiments[0].runs[0]
    cols = COLUMNS.get(run.task, COLUMNS["default"])
    extra = cols[1:] + [("validity_rate", "valid %"), ("pipeline_s", "wall s per seed")]
    rows = result_rows(methods, [run.headline, *(k for k, _ in extra)], run.headline,
                       resamples=resamples, seed=seed)
    return results_table(rows, run.headline, cols[0][1], extra, multi=len(experiments) > 1)
