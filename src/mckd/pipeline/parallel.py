"""``WorkerPool``: independent student steps at the same time (``student.parallel_steps``).

The plan is a graph: the two students of a stage depend only on the stage before, vanilla KD
and SFT only on the teacher. With ``student.parallel_steps: N`` (N > 1) the runner keeps up
to N student steps running at once, each in a fresh process (``spawn``) that rebuilds the run
context from the run directory and runs the function the recipe gave for the step:

- with GPUs, process ``slot`` sees one device (``CUDA_VISIBLE_DEVICES`` = the slot's GPU), so
  the two students of a stage train on two devices;
- on a CPU, each process gets ``cores // N`` torch threads (``student.threads``, if set,
  wins).

Results do not change: every student step seeds itself from its own recorded seed, and
reads only finished steps' files. The parent alone writes the manifest (a step is started
before its process is launched and finished when it returns), and a child dies with its
parent (Linux ``PR_SET_PDEATHSIG``), so ``kill -9`` and rerun behave as in one process.
Teacher, partitions and evaluation still run in the parent, one at a time: the recipe's
``Run.step`` waits for the pool first. It is one ``mckd.pipeline.execute.Students``.
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from mckd.config.loading import load_config
from mckd.pipeline.context import RunContext, Step
from mckd.pipeline.data import load_run_data
from mckd.pipeline.execute import Run, StepFn
from mckd.pipeline.manifest import Manifest
from mckd.pipeline.steps import build_plan
from mckd.tasks import get_task

log = logging.getLogger(__name__)


def child_threads(sharing: int, configured: int | None) -> int:
    """Torch threads of a child on a CPU: ``configured`` if set, else the cores shared out
    among the ``sharing`` student steps that run (or can run) at the same time."""
    if configured:
        return configured
    return max(1, (os.cpu_count() or 1) // max(1, sharing))


def _priority(step: Step) -> int:
    """Stage students first: the stage chain and its final student are the longest path."""
    return 0 if step.kind == "stage" else 1 if step.kind == "final" else 2


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (no-op elsewhere)."""
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass


def context_from_run_dir(run_dir: Path, step_name: str, *,
                         threads: int | None = None) -> tuple[RunContext, Step]:
    """The run context of ``run_dir`` (from its saved ``config.yaml``) and its step
    ``step_name``; ``threads`` overrides ``student.threads``."""
    config = load_config(run_dir / "config.yaml")
    if threads is not None:
        student = config.student.model_copy(update={"threads": threads})
        config = config.model_copy(update={"student": student})
    task = get_task(config.task.name, **config.task.options)
    data = load_run_data(config, task)
    plan = build_plan(config, data).by_name()
    ctx = RunContext(config=config, run_dir=run_dir, task=task, data=data,
                     manifest=Manifest(run_dir, config.name), plan=plan)
    return ctx, plan[step_name]


def _child(run_dir: str, step_name: str, fn: StepFn, fp: str, slot: int, gpus: int,
           threads: int, log_level: int) -> Any:
    """Run one student step in this (fresh) process.

    Returns:
        (its ``StepOutput``, seconds, this process's peak RSS MiB, peak GPU MiB).
    """
    _die_with_parent()
    logging.basicConfig(level=log_level, format=f"%(asctime)s %(levelname)s [{step_name}] "
                        "%(name)s: %(message)s", datefmt="%H:%M:%S")
    if gpus:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(slot % gpus)
    from mckd.pipeline.runlog import LOG_FILE, log_to_file, peak_gpu_mb
    from mckd.students.runtime import peak_rss_mb

    ctx, step = context_from_run_dir(Path(run_dir), step_name,
                                     threads=None if gpus else threads)
    started = time.perf_counter()
    with log_to_file(Path(run_dir) / LOG_FILE):  # appends, like the parent's lines
        out = fn(ctx, step, fp)
    return out, time.perf_counter() - started, peak_rss_mb(), peak_gpu_mb()


def visible_gpus() -> int:
    """CUDA devices this process can use (0 without torch or a GPU)."""
    try:
        import torch
    except ImportError:
        return 0
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


class WorkerPool:
    """``Students`` that runs up to ``workers`` student steps at once in worker processes.

    ``submit`` only queues a step; ``wait`` starts each queued step once the steps it reads
    have finished and a worker is free (stage students first), records each as it returns
    through ``run`` (``begin`` when launched, ``finish`` / ``fail`` when it returns), and
    returns when all have finished.

    Args:
        run: records the steps (and gives the run directory).
        workers: student steps running at the same time.
        threads: ``student.threads`` (None: share the cores out).
    """

    def __init__(self, run: Run, workers: int, threads: int | None):
        self.run, self.workers, self.threads = run, workers, threads
        self.queued: list[tuple[Step, StepFn]] = []
        self.finished: set[str] = set()
        self.gpus = visible_gpus()
        log.info("up to %d student steps at once (%s)", workers,
                 f"{self.gpus} GPUs" if self.gpus else "the CPU cores shared out")

    def submit(self, step: Step, fn: StepFn) -> None:
        self.queued.append((step, fn))

    def wait(self) -> None:
        if not self.queued:
            return
        import multiprocessing

        waiting, self.queued = self.queued, []
        names = {s.name for s, _ in waiting}
        running: dict[Future, tuple[Step, int]] = {}
        free_slots = list(range(self.workers))
        with ProcessPoolExecutor(max_workers=self.workers, max_tasks_per_child=1,
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            while waiting or running:
                ready = [(s, fn) for s, fn in waiting
                         if not any(d in names and d not in self.finished for d in s.deps)]
                for step, fn in sorted(ready, key=lambda sf: _priority(sf[0])):
                    if not free_slots:
                        break
                    stages_waiting = sum(s.kind == "stage" for s, _ in waiting)
                    if step.kind != "stage" and len(free_slots) <= stages_waiting:
                        continue  # keep the slot for the stage chain, the longest path
                    waiting.remove((step, fn))
                    slot = free_slots.pop(0)
                    fp = self.run.begin(step)
                    share = child_threads(min(self.workers, len(ready) + len(running)),
                                          self.threads)
                    future = pool.submit(_child, str(self.run.ctx.run_dir), step.name, fn, fp,
                                         slot, self.gpus, share,
                                         logging.getLogger("mckd").getEffectiveLevel())
                    running[future] = (step, slot)
                if not running:  # cannot happen: the plan lists every step after its reads
                    raise RuntimeError(f"steps {[s.name for s, _ in waiting]} wait for nothing")
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    step, slot = running.pop(future)
                    free_slots.append(slot)
                    try:
                        got = future.result()
                    except BaseException as exc:
                        self.run.fail(step, exc)
                        self._settle(running)  # keep what the others finish
                        raise
                    self.run.finish(step, got)
                    self.finished.add(step.name)

    def _settle(self, running: dict[Future, tuple[Step, int]]) -> None:
        """After a failure, wait for the steps still running and record each one's outcome,
        so a rerun does not train again what finished."""
        for future, (step, _) in running.items():
            try:
                got = future.result()
            except Exception as exc:  # noqa: BLE001 - recorded as its failure; the first error is raised
                self.run.fail(step, exc)
            else:
                self.run.finish(step, got)
