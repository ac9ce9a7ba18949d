"""``mckd run`` under a multi-process launcher: process 0 runs the method, the others help train.

    accelerate launch --multi_gpu --num_processes 4 -m mckd run my-task.yaml
    torchrun --nproc_per_node 4 -m mckd run my-task.yaml       # or over several nodes

Every process parses the same command line. Process 0 (the *leader*) runs the pipeline exactly
as in one process: it alone calls the teacher, writes the run directory and the manifest,
relabels and evaluates. Each time it trains a student it first posts a *training job* (the
step, its training pairs and seed) in ``<run dir>/.replicas/<session>/``; the other processes
(*followers*) wait for jobs there and join that training, so every student trains data-parallel
over all processes (``mckd.students.distributed``: each optimizer step's batch is shared out,
gradients are averaged, only the leader evaluates and saves). Between trainings followers only
poll the directory, so a teacher that labels for hours keeps no collective call waiting.

The session id comes from the leader at start-up (one broadcast), so a job file left by an
earlier, interrupted launch is never taken for a new one. When the leader finishes it posts
``end.json``; when it fails it posts the error, and each follower stops with it (the launcher
also stops the group when any process dies). Over several nodes the run directory must be on
a filesystem every node sees. ``student.parallel_steps`` does not apply under a launcher: all
processes work on one student at a time.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mckd.core.errors import MckdError
from mckd.core.jsonl import write_json

log = logging.getLogger(__name__)

CHANNEL = ".replicas"
POLL_SECONDS = 0.2


def share_session(run_dir: Path) -> Path:
    """The folder of this launch's training jobs; the leader picks its id, every process gets it."""
    from mckd.students.distributed import broadcast_from_main, is_main_process

    token = uuid.uuid4().hex[:12] if is_main_process() else None
    token = broadcast_from_main(token)
    return Path(run_dir) / CHANNEL / str(token)


class Leader:
    """Process 0's side: posts a job before each student training, and the end of the run."""

    def __init__(self, session: Path):
        self.session, self.posted = session, 0
        for old in session.parent.glob("*"):  # earlier launches' jobs: never read again
            if old != session and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
        session.mkdir(parents=True, exist_ok=True)

    def post_training(self, step: str, out_dir: Path, pairs: Sequence[tuple[str, str]],
                      seed: int) -> None:
        """Announce the training the leader is about to start (followers join it)."""
        write_json(self.session / f"job-{self.posted:04d}.json", {
            "n": self.posted, "step": step, "out_dir": str(out_dir), "seed": seed,
            "pairs": [list(p) for p in pairs]}, indent=None)
        self.posted += 1
        log.info("%s: training data-parallel with the launcher's other processes", step)

    def end(self, error: str | None = None) -> None:
        """Tell followers the run is over (``error``: why the leader stopped)."""
        write_json(self.session / "end.json", {"jobs": self.posted, "error": error}, indent=None)


def follow(config: Any, session: Path) -> int:
    """A follower's whole run: join each posted training until the leader's end.

    Returns:
        The number of trainings joined.

    Raises:
        MckdError: the leader stopped with an error (its message is repeated).
    """
    from mckd.students import STUDENTS
    from mckd.tasks import get_task

    task = get_task(config.task.name, **config.task.options)
    student = config.student  # the leader passes RunContext.constraint(): the same object
    constraint = task.constraint(str(student.target_format)) if student.constrained else None
    joined = 0
    while True:
        job_path = session / f"job-{joined:04d}.json"
        end_path = session / "end.json"
        if job_path.exists():
            job = json.loads(job_path.read_text(encoding="utf-8"))
            log.info("joining the training of %s (%d pairs)", job["step"], len(job["pairs"]))
            backend = STUDENTS.get(student.backend)(student, task=task)
            backend.train([tuple(p) for p in job["pairs"]], Path(job["out_dir"]),
                          seed=job["seed"], constraint=constraint)
            joined += 1
            continue
        if end_path.exists():
            end = json.loads(end_path.read_text(encoding="utf-8"))
            if joined < end["jobs"]:  # the last job landed just before end.json: take it
                continue
            if end["error"]:
                raise MckdError(f"process 0 stopped the run: {end['error']}")
            return joined
        time.sleep(POLL_SECONDS)
