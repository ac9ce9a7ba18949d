"""What every step function receives (its ``Step``, the run's config, task, data, manifest) and
returns (``StepOutput``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mckd.config.schema import RunConfig
from mckd.core.jsonl import read_jsonl
from mckd.core.records import Checked
from mckd.pipeline.data import RunData
from mckd.pipeline.manifest import Manifest
from mckd.tasks.base import DecodingConstraint, Task

if TYPE_CHECKING:
    from mckd.pipeline.launched import Leader

TEACHER_LABELS = "teacher/labels.jsonl"
PARTITIONS = "partitions.json"
RELABELS = "relabels.jsonl"
PREDICTIONS = "predictions.jsonl"
METRICS = "metrics.json"


@dataclass(frozen=True)
class Step:
    """One resumable unit of work.

    Attributes:
        name: unique, also its folder for student steps ("stage_1/A", "final").
        kind: teacher | partitions | stage | final | vanilla_kd | kd_sd_filter | sft |
            evaluate.
        deps: steps whose artifacts it reads.
        config: the config values it depends on, by section (fingerprinted).
        seed: its seed, derived from the run seed.
        out: the file or folder it owns, relative to the run directory (None: evaluate).
        stage: the MCKD stage a student step belongs to (final: K, final_<j>: j; vanilla KD
            and KD + SD: 1; SFT: 0).
        params: for stage steps, the student's role: stage, part, trains_on, relabels; for
            kd_sd_filter, the fraction kept.
        part: the partition a stage student belongs to ("A", "B", ...; None for other steps).
    """

    name: str
    kind: str
    deps: tuple[str, ...]
    config: dict[str, Any]
    seed: int
    out: str | None
    stage: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    part: str | None = None


@dataclass
class RunContext:
    """The shared state of one run."""

    config: RunConfig
    run_dir: Path
    task: Task
    data: RunData
    manifest: Manifest
    #: every step of the run's plan by name (``mckd.pipeline.steps.build_plan``): what a step
    #: that reads others (``deps``) knows of each, without parsing names
    plan: dict[str, Step] = field(default_factory=dict)
    #: under a multi-process launcher, process 0's side of the launch (None in one process)
    leader: Leader | None = None

    @property
    def target_format(self) -> str:
        """The format students are trained on and generate (``student.target_format``)."""
        return str(self.config.student.target_format)

    def constraint(self) -> DecodingConstraint | None:
        """The decoding constraint students use (None when unconstrained or the task has none)."""
        if not self.config.student.constrained:
            return None
        return self.task.constraint(self.target_format)

    def path(self, rel: str) -> Path:
        return self.run_dir / rel


@dataclass
class StepOutput:
    """What a step produced.

    Attributes:
        artifacts: files/folders it wrote, relative to the run directory.
        counts: numbers for the manifest (examples, valid/repaired/invalid, excluded, ...).
        info: anything else worth recording (training summary, teacher description).
        cleanup: files to delete once the step is recorded as done (e.g. partial output).
    """

    artifacts: list[str]
    counts: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    cleanup: list[Path] = field(default_factory=list)


def read_labels(path: Path) -> dict[str, dict[str, Any]]:
    """Label rows (teacher labels, relabels, predictions) by id."""
    return {row["id"]: row for row in read_jsonl(path)}


def checked_of(row: dict[str, Any]) -> Checked:
    """The ``Checked`` stored in a label row."""
    return Checked.from_dict(row)


def status_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """{"valid": n, "repaired": n, "invalid": n} over label rows."""
    counts = {"valid": 0, "repaired": 0, "invalid": 0}
    for row in rows:
        counts[row["status"]] += 1
    return counts


def gold_score(ctx: RunContext, labels: list[tuple[str, Checked]]) -> float | None:
    """Mean ``Task.example_score`` (%) of (unlabeled input id, label) pairs against their gold.

    Only offline benchmarks have gold for their unlabeled inputs (CRAFT here); it is a
    diagnostic of label quality per stage, never used by the method. None when any of the
    inputs has no gold.
    """
    by_id = {ex.id: ex for ex in ctx.data.unlabeled}
    examples = [by_id.get(i) for i, _ in labels]
    if not labels or any(ex is None or ex.gold is None for ex in examples):
        return None
    total = sum(ctx.task.example_score(ex, checked)
                for ex, (_, checked) in zip(examples, labels, strict=True))
    return round(100 * total / len(labels), 2)
