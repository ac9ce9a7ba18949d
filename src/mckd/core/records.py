"""Immutable records passed between layers.

Every record is a frozen dataclass with ``to_dict``/``from_dict`` so it round-trips through
JSONL. Strings, not task objects, cross layer boundaries: a task turns its gold structure into
strings (``Example.gold``), and a pseudolabel carries both the raw text an LLM or student
produced and what the task made of it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Self


class Status(str, Enum):
    """Outcome of checking one generated string against its input."""

    VALID = "valid"  # well formed as generated
    REPAIRED = "repaired"  # made well formed by the task's repair ladder
    INVALID = "invalid"  # could not be repaired; scores 0, never dropped


class _Record:
    def to_dict(self) -> dict[str, Any]:
        out = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            out[f.name] = value.value if isinstance(value, Enum) else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        kwargs = {k: v for k, v in data.items() if k in names}
        if "status" in kwargs and kwargs["status"] is not None:
            kwargs["status"] = Status(kwargs["status"])
        if "meta" in kwargs and kwargs["meta"] is None:
            kwargs["meta"] = {}
        return cls(**kwargs)


@dataclass(frozen=True)
class Example(_Record):
    """One input of a task.

    Attributes:
        id: stable identifier, unique within a dataset.
        source: the model input as text (for parsing: tokens joined by single spaces).
        gold: the task's gold annotation serialised as a string (for parsing: the normalised
            PTB tree with POS tags), or None for truly unlabeled inputs.
        meta: free-form provenance (file, line, article id, ...).
    """

    id: str
    source: str
    gold: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Checked(_Record):
    """What a task made of a generated string.

    Attributes:
        raw: the text exactly as generated.
        target: the canonical target string (the task's reference form) when the output is
            valid or repaired; None when invalid.
        status: valid / repaired / invalid.
        reason: why it was repaired or rejected ("" when valid).
    """

    raw: str
    target: str | None
    status: Status
    reason: str = ""


@dataclass(frozen=True)
class Pseudolabel(_Record):
    """A label for one input produced by a teacher or a student.

    ``target`` is None exactly when ``status`` is invalid; such records stay in every file and
    count in every metric (as score 0) but are not used as training targets.
    """

    id: str
    source: str
    raw: str
    target: str | None
    status: Status
    reason: str = ""
    origin: str = ""  # e.g. "teacher:simulated", "stage_1/A"
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Completion(_Record):
    """One raw answer from a teacher for one input.

    Attributes:
        id: the input's ``Example.id``.
        text: the generated text exactly as returned (may be garbage).
        finish_reason: "stop", "length" (truncated), "error", ...
        usage: token counts, e.g. {"prompt_tokens": 812, "completion_tokens": 40}.
        meta: backend details (demo ids, latency, attempts, simulation knobs, ...).
    """

    id: str
    text: str
    finish_reason: str = "stop"
    usage: dict[str, int] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
