"""The teacher interface.

A teacher turns examples into ``Completion`` records (raw text plus usage and metadata). It does
not parse: the pipeline runs every completion through ``Task.check``, so parsing and repair can
be rerun from stored completions without asking the teacher again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence

from mckd.core.records import Completion, Example


class Teacher(ABC):
    """Produces one completion per example.

    Attributes:
        name: short registry name, e.g. "simulated", "openai".
        is_simulation: True for teachers that are not language models; reports say so.
    """

    name: str = "teacher"
    is_simulation: bool = False

    @abstractmethod
    def complete(
        self,
        examples: Sequence[Example],
        *,
        on_result: Callable[[Completion], None] | None = None,
    ) -> Iterator[Completion]:
        """Yield one completion per example (any order; ``Completion.id`` says which).

        ``on_result`` is called as each completion arrives, so callers can persist it at once.
        """

    def describe(self) -> dict[str, object]:
        """Facts for the run manifest and report (backend, model, knobs). Never secrets."""
        return {"backend": self.name, "simulation": self.is_simulation}


def brief(description: dict[str, object]) -> str:
    """One line of a teacher's ``describe()`` for the log: backend, model or file, and whether
    it is a simulation (the whole description goes to the manifest and ``metrics.json``)."""
    parts = [str(description.get("backend", "?"))]
    parts += [str(description[k]) for k in ("model", "path") if description.get(k)]
    if description.get("simulation"):
        parts.append("(a simulation: no language model)")
    return " ".join(parts)
