"""A run config checked against the registries too: known task, its options and target format,
known teacher and student backends (what ``mckd run`` and ``mckd plan`` load).

``mckd.config`` checks the schema and the files only; this module adds the checks that need the
task and student registries, so every problem is still reported at once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from mckd.config.loading import load_config, validate_config
from mckd.config.schema import RunConfig
from mckd.core.errors import MckdError
from mckd.students import STUDENTS
from mckd.tasks import TASKS, get_task
from mckd.teachers import TEACHERS


def load_run_config(path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> RunConfig:
    """``mckd.config.loading.load_config`` plus the registry checks (same errors)."""
    return load_config(path, overrides, checks=[registry_problems])


def validate_run_config(data: dict[str, Any], **kwargs: Any) -> RunConfig:
    """``mckd.config.loading.validate_config`` plus the registry checks."""
    return validate_config(data, checks=[registry_problems], **kwargs)


def registry_problems(data: dict[str, Any], config: RunConfig | None) -> list[str]:
    """Unknown task, teacher or student backend, task options it rejects, a target format it
    lacks."""
    problems = []
    task_section = data.get("task") if isinstance(data.get("task"), dict) else {}
    task_name = task_section.get("name", "constituency")
    task = None
    if isinstance(task_name, str):
        if task_name not in TASKS.names():
            problems.append(f"task.name: unknown task {task_name!r}; valid choices: "
                            f"{', '.join(TASKS.names())}")
        else:
            task, problem = _build_task(task_name, task_section.get("options") or {})
            if problem:
                problems.append(problem)
    for section, registry, default in (("teacher", TEACHERS, "simulated"),
                                       ("student", STUDENTS, "seq2seq")):
        given = data.get(section) if isinstance(data.get(section), dict) else {}
        backend = given.get("backend", default)
        if isinstance(backend, str) and backend not in registry.names():
            problems.append(f"{section}.backend: unknown {section} backend {backend!r}; valid "
                            f"choices: {', '.join(registry.names())} (a plugin module can "
                            "register more)")
    if task is not None and config is not None:
        fmt = config.student.target_format
        if fmt not in task.target_formats:
            problems.append(f"student.target_format: {task_name} has no format {fmt!r}; valid "
                            f"choices: {', '.join(task.target_formats)}")
    return problems


def _build_task(name: str, options: Any) -> tuple[Any, str]:
    if not isinstance(options, dict):
        return None, ""  # the schema reports a wrong type
    try:
        return get_task(name, **options), ""
    except TypeError as exc:
        return None, f"task.options: {name} does not accept {sorted(options)} ({exc})"
    except MckdError as exc:  # e.g. a malformed label inventory: list it with the rest
        return None, f"task.options: {exc}"
