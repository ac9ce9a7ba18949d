"""``run_pipeline``: the MCKD recipe, step by step, resumable after any interruption.

Read top to bottom: load task and data, build the plan, find where to resume, then run each
remaining step, recording it in ``manifest.json`` as it starts and when its artifacts are
fully written. Layout of the run directory::

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
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mckd import __version__
from mckd.config.loading import dump_config
from mckd.config.schema import RunConfig
from mckd.core.errors import ConfigError, RunStateError
from mckd.core.hashing import fingerprint
from mckd.core.jsonl import atomic_text
from mckd.pipeline.context import METRICS, RunContext, Step, StepOutput
from mckd.pipeline.data import load_run_data
from mckd.pipeline.labeling import partial_path
from mckd.pipeline.launched import Leader, follow, share_session
from mckd.pipeline.manifest import Manifest
from mckd.pipeline.parallel import run_steps_in_parallel
from mckd.pipeline.resume import apply_force, clear_outputs, steps_to_run
from mckd.pipeline.runlog import LOG_FILE, log_to_file, peak_gpu_mb
from mckd.pipeline.runners import RUNNERS, STUDENT_KINDS
from mckd.pipeline.steps import build_plan, input_parts
from mckd.pipeline.student_support import check_student_support
from mckd.pipeline.tracking import RunTracker, open_tracker
from mckd.students.distributed import is_main_process, world_size
from mckd.students.runtime import peak_rss_mb
from mckd.tasks import get_task

log = logging.getLogger(__name__)

CONFIG_FILE = "config.yaml"

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
        forced = apply_force(plan, manifest, force_from, force)
        todo = steps_to_run(plan, manifest, run_dir)
        _save_config(run_dir, config)
        ctx = RunContext(config=config, run_dir=run_dir, task=task, data=data,
                         manifest=manifest, plan={s.name: s for s in plan}, leader=leader)
        skipped = [s.name for s in plan if s not in todo]
        if skipped:
            log.info("already finished, skipped: %s", ", ".join(skipped))
        tracker = open_tracker(config.tracking, config.name, run_dir, config.model_dump(mode="json"))
        try:
            _run_all(ctx, todo, forced, tracker)
        finally:
            if tracker is not None:
                tracker.close()
        metrics = json.loads((run_dir / METRICS).read_text(encoding="utf-8"))
        log.info("run %r finished: %s", config.name, run_dir)
    return RunResult(run_dir, metrics, [s.name for s in todo], skipped)


def _run_step(ctx: RunContext, step: Step, *, keep_partial: bool,
              tracker: RunTracker | None = None) -> None:
    fp = _begin_step(ctx, step, keep_partial=keep_partial)
    started = time.perf_counter()
    try:
        out = RUNNERS[step.kind](ctx, step, fp)
    except BaseException as exc:  # record why it stopped, then let it propagate
        _fail_step(ctx, step, exc)
        raise
    _finish_step(ctx, step, out, time.perf_counter() - started, peak_rss_mb(), peak_gpu_mb(),
                 tracker)


def _begin_step(ctx: RunContext, step: Step, *, keep_partial: bool) -> str:
    """Clear the step's old outputs, record it as started; returns its input fingerprint."""
    parts = input_parts(step, ctx.manifest)
    if parts is None:  # cannot happen: the plan lists every step after its dependencies
        raise RuntimeError(f"step {step.name} reached before its dependencies finished")
    fp = fingerprint(parts)
    keep = partial_path(ctx.run_dir, fp) if step.kind == "teacher" and keep_partial else None
    clear_outputs(ctx.run_dir, step, keep=keep)
    ctx.manifest.start(step.name, fp, inputs=parts, seed=step.seed, deps=list(step.deps))
    log.info("step %s: started (seed %d)", step.name, step.seed)
    return fp


def _fail_step(ctx: RunContext, step: Step, exc: BaseException) -> None:
    ctx.manifest.fail(step.name, f"{type(exc).__name__}: {exc}")


def _finish_step(ctx: RunContext, step: Step, out: StepOutput, seconds: float, rss_mb: float,
                 gpu_mb: float | None, tracker: RunTracker | None) -> None:
    ctx.manifest.finish(step.name, artifacts=out.artifacts, seconds=seconds, counts=out.counts,
                        info=out.info, peak_rss_mb=rss_mb, peak_gpu_mb=gpu_mb)
    for path in out.cleanup:
        path.unlink(missing_ok=True)
    log.info("step %s: done in %.1f s%s", step.name, seconds, _brief(out.counts))
    if tracker is not None:
        tracker.log_step(step.name, out.counts, out.info or {}, seconds, ctx.run_dir)


def _brief(counts: dict[str, Any] | None) -> str:
    """A step's counts for its one log line: numbers as ``name value``, a nested section as
    ``name n (its numbers)``; token usage is left to the manifest, which keeps everything."""
    def numbers(section: dict[str, Any]) -> list[str]:
        return [f"{k} {v}" for k, v in section.items()
                if isinstance(v, (int, float, str)) and k != "n"]

    parts = []
    for key, value in (counts or {}).items():
        if key == "usage":
            continue
        if isinstance(value, dict):
            inner = ", ".join(numbers(value))
            head = f"{key} {value['n']}" if "n" in value else key
            parts.append(f"{head} ({inner})" if inner else head)
        elif isinstance(value, (int, float, str)):
            parts.append(f"{key} {value}")
    return ": " + "; ".join(parts) if parts else ""


def _run_all(ctx: RunContext, todo: list[Step], forced: set[str] | list[str],
             tracker: RunTracker | None) -> None:
    """Every step of ``todo`` in order, or independent student steps at the same time
    (``student.parallel_steps``, see ``mckd.pipeline.parallel``)."""
    workers = ctx.config.student.parallel_steps
    if workers > 1 and ctx.leader is not None:
        log.info("student.parallel_steps=%d ignored under a launcher: every process trains "
                 "each student together, one student at a time", workers)
        workers = 1
    if workers <= 1 or sum(s.kind in STUDENT_KINDS for s in todo) < 2:
        for step in todo:
            _run_step(ctx, step, keep_partial=step.name not in forced, tracker=tracker)
        return
    run_steps_in_parallel(
        todo, workers, ctx.run_dir,
        begin=lambda s: _begin_step(ctx, s, keep_partial=s.name not in forced),
        finish=lambda s, got: _finish_step(ctx, s, *got, tracker),
        fail=lambda s, exc: _fail_step(ctx, s, exc),
        run_inline=lambda s: _run_step(ctx, s, keep_partial=s.name not in forced,
                                       tracker=tracker),
        threads=ctx.config.student.threads)


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
