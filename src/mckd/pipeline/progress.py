"""How far a run is: each step's index as it starts, the run's elapsed time, the time left.

The time left is estimated from each step's size in work units, known before it runs:

- ``teacher``: the inputs it labels;
- a student step: its training pairs x ``student.max_epochs``, plus the inputs it relabels;
- ``evaluate``: the test inputs x the students it scores.

Seconds per unit are measured on the steps this run has finished, the teacher apart from the
rest (an LLM's speed says nothing of a student's). While a remaining step is of a kind not
measured yet, the line says "ETA unknown" instead of guessing. Steps that have started count
as wholly left; with ``student.parallel_steps`` N, student steps count 1/N of their time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from mckd.config.schema import RunConfig
from mckd.pipeline.context import Step
from mckd.pipeline.data import RunData

#: speed groups: steps whose seconds per unit are measured together
TEACHER, STUDENTS = "teacher", "students"


def step_units(step: Step, config: RunConfig, data: RunData) -> float:
    """The work of ``step`` in units (see the module doc); 0 for steps that take no time."""
    n, k = len(data.unlabeled), config.mckd.partitions
    gold = len(data.splits["labeled"])
    epochs = config.student.max_epochs
    extra = gold if config.mckd.mix_gold else 0
    if step.kind == "teacher":
        return n + len(data.test)
    if step.kind == "stage":
        trained = n * len(step.params["trains_on"]) / k + extra
        return trained * epochs + n / k
    if step.kind in ("final", "vanilla_kd"):
        return (n + extra) * epochs
    if step.kind == "kd_sd_filter":
        return n + (n * step.params["keep"] + extra) * epochs
    if step.kind == "sft":
        return gold * epochs
    if step.kind == "evaluate":
        return len(data.test) * (len(step.deps) - 1)  # the teacher's test labels exist
    return 0.0


def duration(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``, ``1 h 02 min``."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class Progress:
    """Counts a run's steps and estimates the time left (see the module doc).

    Args:
        units: every step of the plan by name -> its size (``step_units``), in plan order.
        skipped: steps finished by an earlier run (they count as done).
        workers: student steps that may run at the same time.
        clock: seconds, monotonic (tests pass their own).
    """

    def __init__(self, units: dict[str, float], skipped: Sequence[str], *, workers: int = 1,
                 clock: Callable[[], float] = time.monotonic):
        self.units, self.workers, self.clock = units, max(1, workers), clock
        self.started_at = clock()
        self.begun = len(skipped)
        self.left = {name for name in units if name not in set(skipped)}
        self.measured: dict[str, list[float]] = {}  # group -> [seconds, units]

    def start(self, name: str) -> str:
        """``step 3/9 stage_1/A``: the step starting now, counted after the skipped ones."""
        self.begun += 1
        return f"step {self.begun}/{len(self.units)} {name}"

    def times(self) -> str:
        """``<elapsed> elapsed, about <left> left`` (or ``ETA unknown``)."""
        left = self.seconds_left()
        eta = "ETA unknown" if left is None else f"about {duration(left)} left"
        return f"{duration(self.clock() - self.started_at)} elapsed, {eta}"

    def finish(self, name: str, seconds: float) -> None:
        """Record that ``name`` finished in ``seconds`` (its speed calibrates the estimate)."""
        self.left.discard(name)
        group = _group(name)
        if self.units[name] > 0:
            totals = self.measured.setdefault(group, [0.0, 0.0])
            totals[0] += seconds
            totals[1] += self.units[name]

    def seconds_left(self) -> float | None:
        """Estimated seconds until the run ends; None while a kind of step left is unmeasured."""
        total = 0.0
        for name in self.left:
            units = self.units[name]
            if units <= 0:
                continue
            group = _group(name)
            if group not in self.measured:
                return None
            seconds, done = self.measured[group]
            share = self.workers if group == STUDENTS and name != "evaluate" else 1
            total += units * seconds / done / share
        return total


def _group(name: str) -> str:
    return TEACHER if name == "teacher" else STUDENTS
