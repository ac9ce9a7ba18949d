"""``run_pipeline``: the MCKD recipe, step by step, resumable after any interruption.

Read top to bottom: ``run_pipeline`` loads the task and data, builds the plan (every step with
what it reads, ``mckd.pipeline.steps``), finds where to resume, then follows the recipe
``mckd``, which names each step and the function that does it; ``mckd.pipeline.execute.Run``
skips what is done and records the rest in ``manifest.json`` as it starts and when its
artifacts are fully written. Layout of the run directory::

    config.yaml  manifest.json  run.log  metrics.json  partitions.json
    teacher/labels.jsonl                 every input's raw completion, checked target, status
    stage_<k>/<P>/                       student checkpoint + relabels.jsonl of the part it relabels
    final/  final_<j>/  vanilla_kd/  sft/  student checkpoints (final_<j>: mckd.sweep)
    kd_sd_filter/                        student checkpoint + the filtered relabels.jsonl
    <method folder>/predictions.jsonl, metrics.json   written by evaluate
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mckd import __version__
from mckd.config.loading import dump_config
from mckd.config.schema import RunConfig
from mckd.core.errors import ConfigError, RunStateError
from mckd.core.jsonl import atomic_text
from mckd.pipeline.context import METRICS, RunContext, Step
from mckd.pipeline.data import load_run_data
from mckd.pipeline.evaluate import evaluate_on_test
from mckd.pipeline.execute import Run
from mckd.pipeline.labeling import label_with_teacher
from mckd.pipeline.launched import Leader, follow, share_session
from mckd.pipeline.manifest import Manifest
from mckd.pipeline.parallel import WorkerPool
from mckd.pipeline.partitions import split_into_parts
from mckd.pipeline.progress import Progress, step_units
from mckd.pipeline.resume import apply_force, steps_to_run
from mckd.pipeline.runlog import LOG_FILE, log_to_file
from mckd.pipeline.selfdistill import self_distill_with_filter
from mckd.pipeline.steps import STUDENT_KINDS, Plan, build_plan
from mckd.pipeline.student_support import check_student_support
from mckd.pipeline.tracking import open_tracker
from mckd.pipeline.training import train_and_relabel, train_on_all_labels, train_on_gold
from mckd.students.distributed import is_main_process, world_size
from mckd.tasks import get_task

log = logging.getLogger(__name__)

CONFIG_FILE = "config.yaml"


def mckd(run: Run, plan: Plan) -> None:
    """The method (PAPER.md), top to bottom.

    ``run.step`` runs a step in this process; ``run.student`` hands a student to
    ``run.students`` (this process, or worker processes under ``student.parallel_steps``),
    which starts it once the steps it reads have finished. Both skip a step the run directory
    already holds with the same inputs.
    """
    run.step(plan.teacher, label_with_teacher)          # LLM pseudolabels for every input
    if plan.partitions is not None:
        run.step(plan.partitions, split_into_parts)     # random disjoint parts A, B, ...
    for stage in plan.stages:                           # the collaborative stages 1 .. K-1:
        for student in stage:                           # a fresh student per part trains on
            run.student(student, train_and_relabel)     # its parts, relabels the one it never saw
    for final in plan.finals:                           # stage K: every input, latest labels
        run.student(final, train_on_all_labels)
    if plan.vanilla_kd is not None:                     # baselines: the teacher's labels,
        run.student(plan.vanilla_kd, train_on_all_labels)
    if plan.kd_sd_filter is not None:                   # KD + self-distillation with filter,
        run.student(plan.kd_sd_filter, self_distill_with_filter)
    if plan.sft is not None:                            # the gold examples only
        run.student(plan.sft, train_on_gold)
    run.step(plan.evaluate, evaluate_on_test)           # every method on the test split


@dataclass
class RunResult:
    """What a finished run returns.

    Attributes:
        run_dir: the run directory.
        metrics: the contents of ``metrics.json`` (methods, steps, teacher description).
        ran: steps run by this call, in order.
        skipped: steps already finished by an earlier call, left untouched.
    """

    run_dir: Path
    metrics: dict[str, Any]
    ran: list[str]
    skipped: list[str]


def run_pipeline(config: RunConfig, *, force_from: str | None = None,
                 force: bool = False) -> RunResult:
    """Run (or resume) the MCKD pipeline described by ``config``.

    Under a multi-process launcher (``accelerate launch``, ``torchrun``) process 0 runs it and
    the others train every student with it, data-parallel (``mckd.pipeline.launched``); their
    ``RunResult`` lists no steps.

    Args:
        config: a validated run config.
        force_from: rerun this step and every later one even if they finished.
        force: rerun every step.

    Raises:
        RunStateError: the run directory holds finished steps whose inputs changed (names the
            first such step and the flag to force it), or another process is using it.
        ConfigError: ``force_from`` names no step of this run.
    """
    if config.seeds is not None:
        raise ConfigError(f"seeds: {config.seeds} asks for one run per seed; run them with "
                          "mckd.pipeline.seeds.run_seeds (what `mckd run` does)")
    check_student_support(config)
    run_dir = config.run_dir()
    leader = None
    if world_size() > 1:  # accelerate launch / torchrun: see mckd.pipeline.launched
        session = share_session(run_dir)
        if not is_main_process():
            joined = follow(config, session)
            log.info("process %s: joined %d student trainings", os.environ.get("RANK"), joined)
            return RunResult(run_dir, _read_metrics(run_dir), [], [])
        leader = Leader(session)
    try:
        result = _run_here(config, run_dir, force_from, force, leader)
    except BaseException as exc:
        if leader is not None:
            leader.end(f"{type(exc).__name__}: {exc}")
        raise
    if leader is not None:
        leader.end()
    return result


def _read_metrics(run_dir: Path) -> dict[str, Any]:
    path = run_dir / METRICS
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _run_here(config: RunConfig, run_dir: Path, force_from: str | None, force: bool,
              leader: Leader | None) -> RunResult:
    """``run_pipeline`` in this process (the leader's part under a launcher)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive(run_dir), log_to_file(run_dir / LOG_FILE):
        log.info("mckd %s: run %r in %s", __version__, config.name, run_dir)
        task = get_task(config.task.name, **config.task.options)
        data = load_run_data(config, task)
        plan = build_plan(config, data)
        manifest = Manifest(run_dir, config.name)
        forced = apply_force(plan.steps, manifest, force_from, force)
        todo = steps_to_run(plan.steps, manifest, run_dir)
        _save_config(run_dir, config)
        ctx = RunContext(config=config, run_dir=run_dir, task=task, data=data,
                         manifest=manifest, plan=plan.by_name(), leader=leader)
        skipped = [s.name for s in plan.steps if s not in todo]
        if skipped:
            log.info("already finished, skipped: %s", ", ".join(skipped))
        workers = _parallel_students(config, todo, leader)
        progress = Progress({s.name: step_units(s, config, data) for s in plan.steps}, skipped,
                            workers=workers)
        tracker = open_tracker(config.tracking, config.name, run_dir, config.model_dump(mode="json"))
        run = Run(ctx, todo, forced, progress, tracker)
        if workers > 1:
            run.students = WorkerPool(run, workers, config.student.threads)
        try:
            mckd(run, plan)
        finally:
            if tracker is not None:
                tracker.close()
        metrics = json.loads((run_dir / METRICS).read_text(encoding="utf-8"))
        log.info("run %r finished: %s", config.name, run_dir)
    return RunResult(run_dir, metrics, [s.name for s in todo], skipped)


def _parallel_students(config: RunConfig, todo: list[Step], leader: Leader | None) -> int:
    """Student steps to run at the same time: ``student.parallel_steps``, or 1 under a
    launcher or when fewer than two student steps are left."""
    workers = config.student.parallel_steps
    if workers > 1 and leader is not None:
        log.info("student.parallel_steps=%d ignored under a launcher: every process trains "
                 "each student together, one student at a time", workers)
        return 1
    if sum(s.kind in STUDENT_KINDS for s in todo) < 2:
        return 1
    return max(1, workers)


def _save_config(run_dir: Path, config: RunConfig) -> None:
    """Write the resolved config as ``config.yaml`` (atomically)."""
    with atomic_text(run_dir / CONFIG_FILE) as fh:
        fh.write(dump_config(config))
    log.info("resolved config saved to %s", run_dir / CONFIG_FILE)


@contextmanager
def _exclusive(run_dir: Path) -> Iterator[None]:
    """Hold an advisory lock on the run directory (released by the OS even on kill -9); the
    lock file is removed when the run ends, so a finished run leaves no ``.lock`` behind."""
    import fcntl

    path = run_dir / ".lock"
    with path.open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.fstat(fh.fileno()).st_nlink == 0:  # a run that just ended removed it
                raise BlockingIOError
        except BlockingIOError:
            raise RunStateError(f"{run_dir} is in use by another mckd run; wait for it to "
                                "finish or set another output_dir") from None
        try:
            yield
        finally:
            path.unlink(missing_ok=True)  # still locked: nobody else holds this file
            fcntl.flock(fh, fcntl.LOCK_UN)
