"""Shared helpers for the OpenAI-teacher tests: tiny gold demos, inputs, a teacher factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mckd
from mckd.config.llm import OpenAITeacherConfig
from mckd.core.records import Example
from mckd.tasks.constituency.task import ConstituencyTask
from mckd.teachers.openai_backend import OpenAITeacher

TASK = ConstituencyTask()
DATA = Path(mckd.__file__).parent / "data" / "craft_demo"


def gold_demos(n: int = 12) -> list[Example]:
    """The first ``n`` gold examples shipped with mckd (demonstrations)."""
    return TASK.load(str(DATA / "labeled_50.jsonl"))[:n]


def inputs(n: int) -> list[Example]:
    """``n`` short unlabeled inputs with distinct, easy-to-spot texts."""
    return [Example(id=f"u{i:03d}", source=f"input number {i} is here .") for i in range(n)]


def make_teacher(server: Any, tmp_path: Path, *, seed: int = 0, demos: int = 12,
                 **options: Any) -> OpenAITeacher:
    """A teacher for ``server`` with fast retries, no key, no progress bar."""
    settings: dict[str, Any] = {
        "model": "fake-model", "base_url": server.base_url, "api_key_env": None,
        "concurrency": 4, "backoff_base_s": 0.01, "backoff_max_s": 0.05, "timeout_s": 5.0,
        "progress_bar": False, "prompt": {"num_demos": 3},
    }
    for key, value in options.items():
        if isinstance(value, dict) and isinstance(settings.get(key), dict):
            settings[key] = {**settings[key], **value}
        else:
            settings[key] = value
    config = OpenAITeacherConfig(**settings)
    return OpenAITeacher(TASK, config, demos=gold_demos(demos), seed=seed,
                         ledger_path=tmp_path / "ledger.sqlite")


def label(teacher: OpenAITeacher, examples: list[Example]) -> dict[str, Any]:
    """Run ``complete`` to the end; completions by id."""
    return {c.id: c for c in teacher.complete(examples)}
