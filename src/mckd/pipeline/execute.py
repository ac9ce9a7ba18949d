"""``Run``: what the recipe (``mckd.pipeline.run.mckd``) calls for each step.

Resume is a thin layer around every step: a step the run directory already holds with the same
input fingerprint is skipped (``mckd.pipeline.resume`` decided which, before any work);
otherwise its old outputs are cleared, the manifest records it as started with its input
fingerprint, it runs, and the manifest records it as done with its artifacts (or as failed).

``Run.step`` runs a step here and now. ``Run.student`` hands a student step to ``run.students``,
which runs it here and now (``InProcess``) or in a worker process once the steps it reads have
finished (``mckd.pipeline.parallel.WorkerPool``, ``student.parallel_steps``); both implement
``Students``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from typing import Any, Protocol

from mckd.core.hashing import fingerprint
from mckd.pipeline.context import RunContext, Step, StepOutput
from mckd.pipeline.labeling import partial_path
from mckd.pipeline.progress import Progress
from mckd.pipeline.resume import clear_outputs
from mckd.pipeline.runlog import peak_gpu_mb
from mckd.pipeline.steps import input_parts
from mckd.pipeline.tracking import RunTracker
from mckd.students.runtime import peak_rss_mb

log = logging.getLogger(__name__)

#: what a step does: (run context, its step, its input fingerprint) -> what it wrote
StepFn = Callable[[RunContext, Step, str], StepOutput]


class Students(Protocol):
    """Runs the recipe's student steps: ``submit`` each in plan order, then ``wait``."""

    def submit(self, step: Step, fn: StepFn) -> None:
        """Run ``fn`` for ``step`` once the steps it reads have finished."""

    def wait(self) -> None:
        """Return when every submitted step is finished and recorded (or raise its error)."""


class Run:
    """One call of ``run_pipeline``: its context, the steps to run, progress and records.

    Args:
        ctx: the run context.
        todo: the plan's steps to run now (``mckd.pipeline.resume.steps_to_run``).
        forced: steps ``--force-from`` / ``--force`` redo (the teacher's saved completions
            are not kept for them).
        progress: counts the steps and estimates the time left.
        tracker: experiment trackers, if any.
    """

    def __init__(self, ctx: RunContext, todo: Collection[Step], forced: Collection[str],
                 progress: Progress, tracker: RunTracker | None = None):
        self.ctx, self.forced = ctx, set(forced)
        self.todo = {s.name for s in todo}
        self.progress, self.tracker = progress, tracker
        self.students: Students = InProcess(self)

    def step(self, step: Step, fn: StepFn) -> None:
        """Run ``step`` in this process after every student submitted so far (unless done)."""
        if step.name in self.todo:
            self.students.wait()
            self.execute(step, fn)

    def student(self, step: Step, fn: StepFn) -> None:
        """Hand a student step to ``self.students`` (unless done)."""
        if step.name in self.todo:
            self.students.submit(step, fn)

    def execute(self, step: Step, fn: StepFn) -> None:
        """``begin``, run ``fn`` in this process, ``finish`` (or ``fail`` and re-raise)."""
        fp = self.begin(step)
        started = time.perf_counter()
        try:
            out = fn(self.ctx, step, fp)
        except BaseException as exc:  # record why it stopped, then let it propagate
            self.fail(step, exc)
            raise
        self.finish(step, (out, time.perf_counter() - started, peak_rss_mb(), peak_gpu_mb()))

    def begin(self, step: Step) -> str:
        """Clear the step's old outputs, record it as started; returns its input fingerprint."""
        parts = input_parts(step, self.ctx.manifest)
        if parts is None:  # cannot happen: the plan lists every step after its dependencies
            raise RuntimeError(f"step {step.name} reached before its dependencies finished")
        fp = fingerprint(parts)
        keep = None
        if step.kind == "teacher" and step.name not in self.forced:
            keep = partial_path(self.ctx.run_dir, fp)  # completions saved by an interrupted run
        clear_outputs(self.ctx.run_dir, step, keep=keep)
        self.ctx.manifest.start(step.name, fp, inputs=parts, seed=step.seed, deps=list(step.deps))
        log.info("%s: started (seed %d); %s", self.progress.start(step.name), step.seed,
                 self.progress.times())
        return fp

    def finish(self, step: Step, got: tuple[StepOutput, float, float, float | None]) -> None:
        """Record ``step`` as done: (its output, seconds, peak RSS MiB, peak GPU MiB)."""
        out, seconds, rss_mb, gpu_mb = got
        self.ctx.manifest.finish(step.name, artifacts=out.artifacts, seconds=seconds,
                                 counts=out.counts, info=out.info, peak_rss_mb=rss_mb,
                                 peak_gpu_mb=gpu_mb)
        for path in out.cleanup:
            path.unlink(missing_ok=True)
        self.progress.finish(step.name, seconds)
        log.info("step %s: done in %.1f s%s", step.name, seconds, _brief(out.counts))
        if self.tracker is not None:
            self.tracker.log_step(step.name, out.counts, out.info or {}, seconds,
                                  self.ctx.run_dir)

    def fail(self, step: Step, exc: BaseException) -> None:
        """Record why ``step`` stopped."""
        self.ctx.manifest.fail(step.name, f"{type(exc).__name__}: {exc}")


class InProcess:
    """``Students`` that trains each student in this process, at once, in plan order."""

    def __init__(self, run: Run):
        self.run = run

    def submit(self, step: Step, fn: StepFn) -> None:
        self.run.execute(step, fn)

    def wait(self) -> None:
        pass


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
