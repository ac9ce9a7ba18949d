"""Independent student steps at the same time (``student.parallel_steps``).

The plan is a graph: the two students of a stage depend only on the stage before, vanilla KD
and SFT only on the teacher. With ``student.parallel_steps: N`` (N > 1) the runner keeps up
to N student steps running at once, each in a fresh process (``spawn``) that rebuilds the run
context from the run directory and runs the step's usual function:

- with GPUs, process ``slot`` sees one device (``CUDA_VISIBLE_DEVICES`` = the slot's GPU), so
  the two students of a stage train on two devices;
- on a CPU, each process gets ``cores // N`` torch threads (``student.threads``, if set,
  wins).

Results do not change: every student step seeds itself from its own recorded seed, and
reads only finished steps' files. The parent alone writes the manifest (a step is started
before its process is launched and finished when it returns), and a child dies with its
parent (Linux ``PR_SET_PDEATHSIG``), so ``kill -9`` and rerun behave as in one process.
Teacher, partitions and evaluation still run in the parent, one at a time.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from mckd.pipeline.context import Step
from mckd.pipeline.runners import STUDENT_KINDS

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


def _child(run_dir: str, step_name: str, fp: str, slot: int, gpus: int, threads: int,
           log_level: int) -> Any:
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
    from mckd.pipeline.runners import RUNNERS, context_from_run_dir
    from mckd.students.runtime import peak_rss_mb

    ctx, step = context_from_run_dir(Path(run_dir), step_name,
                                     threads=None if gpus else threads)
    started = time.perf_counter()
    with log_to_file(Path(run_dir) / LOG_FILE):  # appends, like the parent's lines
        out = RUNNERS[step.kind](ctx, step, fp)
    return out, time.perf_counter() - started, peak_rss_mb(), peak_gpu_mb()


def visible_gpus() -> int:
    """CUDA devices this process can use (0 without torch or a GPU)."""
    try:
        import torch
    except ImportError:
        return 0
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def run_steps_in_parallel(
    todo: list[Step],
    workers: int,
    run_dir: Path,
    *,
    begin: Callable[[Step], str],
    finish: Callable[[Step, Any], None],
    fail: Callable[[Step, BaseException], None],
    run_inline: Callable[[Step], None],
    threads: int | None,
) -> None:
    """Run ``todo`` (in plan order) with up to ``workers`` student steps at once.

    Args:
        todo: the steps to run, every step after its dependencies.
        workers: student steps running at the same time.
        run_dir: the run directory (children rebuild their context from it).
        begin: records a student step as started; returns its input fingerprint.
        finish: records what a child returned for the step (see ``_child``).
        fail: records why a step failed (then the error propagates).
        run_inline: runs a non-student step in this process, start to finish.
        threads: ``student.threads`` (None: share the cores out).
    """
    import multiprocessing

    gpus = visible_gpus()
    waiting = list(todo)
    done: set[str] = set()
    running: dict[Future, tuple[Step, int]] = {}
    names = {s.name for s in todo}
    free_slots = list(range(workers))
    log.info("up to %d student steps at once (%s)", workers,
             f"{gpus} GPUs" if gpus else "the CPU cores shared out")
    with ProcessPoolExecutor(max_workers=workers, max_tasks_per_child=1,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        while waiting or running:
            progressed = False
            ready = [s for s in waiting
                     if not any(d in names and d not in done for d in s.deps)]
            students = sum(s.kind in STUDENT_KINDS for s in ready)
            for step in sorted(ready, key=_priority):
                if step.kind not in STUDENT_KINDS:
                    if running:  # the parent's own steps wait for the students to finish
                        continue
                    waiting.remove(step)
                    run_inline(step)
                    done.add(step.name)
                    progressed = True
                    continue
                if not free_slots:
                    continue
                stages_waiting = sum(s.kind == "stage" for s in waiting)
                if step.kind != "stage" and len(free_slots) <= stages_waiting:
                    continue  # keep the slot for the stage chain, the longest path
                waiting.remove(step)
                slot = free_slots.pop(0)
                fp = begin(step)
                share = child_threads(min(workers, students + len(running)), threads)
                future = pool.submit(_child, str(run_dir), step.name, fp, slot, gpus, share,
                                     logging.getLogger("mckd").getEffectiveLevel())
                running[future] = (step, slot)
                progressed = True
            if progressed:
                continue
            if not running:
                if waiting:  # cannot happen: the plan lists every step after its dependencies
                    raise RuntimeError(f"steps {[s.name for s in waiting]} wait for nothing")
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                step, slot = running.pop(future)
                free_slots.append(slot)
                try:
                    out = future.result()
                except BaseException as exc:
                    fail(step, exc)
                    _settle(running, finish, fail)  # keep what the others finish
                    raise
                finish(step, out)
                done.add(step.name)


def _settle(running: dict[Future, tuple[Step, int]], finish: Callable[[Step, Any], None],
            fail: Callable[[Step, BaseException], None]) -> None:
    """After a failure, wait for the steps still running and record each one's outcome, so
    a rerun does not train again what finished."""
    for future, (step, _) in running.items():
        try:
            out = future.result()
        except Exception as exc:  # noqa: BLE001 - recorded as its failure; the first error is raised
            fail(step, exc)
        else:
            finish(step, out)
