"""The student interface the pipeline sees.

A backend trains a *fresh* student on (source, target) string pairs and loads a trained one
from its directory. Targets are in the task format the config names (``student.target_format``);
the pipeline converts them and checks what the student generates with ``Task.check``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mckd.tasks.base import DecodingConstraint

#: fidelity(sources, references, outputs) -> score in [0, 100]; used by the checkpoint rule.
FidelityFn = Callable[[Sequence[str], Sequence[str], Sequence[str]], float]


class Student(ABC):
    """A trained student that can label inputs."""

    @abstractmethod
    def generate(
        self,
        sources: Sequence[str],
        *,
        constraint: DecodingConstraint | None = None,
        progress_desc: str | None = None,
    ) -> list[str]:
        """Return one output string per source, in input order (same length as ``sources``)."""


class StudentBackend(ABC):
    """Builds, trains, saves and loads students of one kind."""

    name: str = "student"

    @abstractmethod
    def train(
        self,
        pairs: Sequence[tuple[str, str]],
        out_dir: Path,
        *,
        seed: int,
        constraint: DecodingConstraint | None = None,
        fidelity_fn: FidelityFn | None = None,
        dev: Sequence[tuple[str, str]] | None = None,
        state_path: Path | None = None,
    ) -> dict[str, Any]:
        """Train a fresh student on ``pairs`` and save it under ``out_dir``.

        With ``state_path`` the training state is saved there after every epoch, and a
        training that finds that file continues after the epoch it holds, ending with the same
        weights as an uninterrupted one (``mckd.students.epoch_state``); the caller deletes it.

        Returns:
            A JSON-serialisable summary: epochs run, the epoch kept and why, per-epoch loss and
            fidelity, wall time, tokens seen.
        """

    @abstractmethod
    def load(self, out_dir: Path) -> Student:
        """Load the student saved under ``out_dir``."""


def student_label(out_dir: Path) -> str:
    """How log lines name the student saved in ``out_dir``: ``stage_1/A`` for a stage
    student's folder (``A`` alone is ambiguous), else the folder's name (``final``)."""
    out = Path(out_dir)
    return f"{out.parent.name}/{out.name}" if out.parent.name.startswith("stage_") else out.name
