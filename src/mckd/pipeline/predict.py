"""Load a trained student folder and label new inputs with it (used by ``mckd predict``)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mckd.core.errors import MckdError
from mckd.students.base import Student
from mckd.students.interleave import interleave
from mckd.tasks.base import Task

log = logging.getLogger(__name__)

STUDENT_META = "mckd_student.json"


@dataclass
class TrainedStudent:
    """A loaded student with the task and target format it was trained for."""

    student: Student
    task: Task
    target_format: str
    constrained: bool


def load_trained_student(folder: Path, *, task_name: str | None = None) -> TrainedStudent:
    """Load the student saved in ``folder`` (a run's ``final/`` or a stage student).

    Raises:
        MckdError: the folder is not a student checkpoint, or the task is unknown.
    """
    from mckd.config.student import StudentConfig
    from mckd.students import STUDENTS
    from mckd.tasks import get_task

    meta_path = folder / STUDENT_META
    if not meta_path.exists():
        raise MckdError(
            f"{folder} is not a trained mckd student (no {STUDENT_META}); "
            "point at a run's final/ folder or a stage_<k>/<part>/ folder"
        )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    cfg = StudentConfig.model_validate(meta["config"])
    name = task_name or meta.get("task")
    if not name:
        raise MckdError(f"{meta_path} does not record its task; pass --task (e.g. --task constituency)")
    # the options the task had in training (its label inventory) unless the user names a task
    same_task = not task_name or task_name == meta.get("task")
    options = (meta.get("task_options") or {}) if same_task else {}
    task = get_task(name, **options)
    backend = STUDENTS.get(cfg.backend)(cfg, task=task)
    return TrainedStudent(backend.load(folder), task, cfg.target_format, cfg.constrained)


def predict_records(trained: TrainedStudent, rows: list[dict[str, Any]], *, constrained: bool = True) -> list[dict[str, Any]]:
    """Generate and check one output per row (``{"id", "source"}``); every row gets a result.

    ``raw`` is the student's output as it reads it: for a one-symbol-per-word target (both
    backends' compact forms) each input word followed by its symbol (``The ((X cells X) ...``);
    ``target`` is the task's canonical format."""
    task, fmt = trained.task, trained.target_format
    constraint = task.constraint(fmt) if (constrained and trained.constrained) else None
    sources = [r["source"] for r in rows]
    outputs = trained.student.generate(  # a bar only where it has something to show
        sources, constraint=constraint, progress_desc="predict" if len(rows) >= 1000 else None)
    results = []
    for row, text in zip(rows, outputs, strict=True):
        checked = task.check(row["source"], text, fmt).to_dict()
        if len(text.split()) == len(row["source"].split()):  # one symbol per word: show them
            checked["raw"] = interleave(row["source"].split(), text)  # side by side
        results.append({"id": row["id"], "source": row["source"], **checked})
    return results
