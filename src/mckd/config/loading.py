"""Load a run config: YAML file, then ``key=value`` overrides, then validation of everything.

Every problem found (unknown keys, bad values, unregistered backends, missing dataset splits)
is collected and raised together in one ``ConfigError``, before anything heavy is loaded.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mckd.config.overrides import apply_overrides
from mckd.config.problems import describe_errors, suggest
from mckd.config.schema import (
    BUILTIN_PREFIX,
    DataSection,
    RunConfig,
    builtin_dataset_names,
)
from mckd.config.yamlfile import read_yaml_config
from mckd.core.errors import ConfigError, MckdError

log = logging.getLogger(__name__)


def load_config(path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> RunConfig:
    """Read, override and validate a run config.

    Args:
        path: YAML file.
        overrides: dotted ``key=value`` strings applied after the file, in order; values are
            parsed as YAML (``mckd.stages=1``, ``data.dev=null``, ``plugins=[my_pkg]``).

    Returns:
        The validated config.

    Raises:
        ConfigError: listing every problem, each with its dotted path, file line or
            "override", what is wrong and the valid choices.
    """
    raw, lines = read_yaml_config(path)
    data, problems, touched = apply_overrides(raw, overrides)
    where = {key: f"{path} line {line}" for key, line in lines.items()}
    where.update({key: "override" for key in touched})
    return validate_config(data, where=where, prior=problems, source=str(path))


def validate_config(
    data: dict[str, Any],
    *,
    where: dict[str, str] | None = None,
    prior: Sequence[str] = (),
    source: str = "config",
) -> RunConfig:
    """Validate a config dict (plugins imported first) and check it against the registries and
    the dataset on disk; raise one ``ConfigError`` with every problem."""
    problems = list(prior)
    problems += import_plugins(data.get("plugins"))
    config: RunConfig | None = None
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as exc:
        problems += describe_errors(exc, RunConfig, where=where)
    problems += _registry_problems(data, config)
    problems += _data_problems(data.get("data"), data.get("task"))
    if problems or config is None:
        bullet = "\n  - "
        raise ConfigError(f"{source}: {len(problems)} problem(s):{bullet}{bullet.join(problems)}")
    return config


def import_plugins(plugins: Any) -> list[str]:
    """Import each plugin module (they register backends); return problems."""
    if not isinstance(plugins, list):
        return []  # the schema reports a wrong type
    problems = []
    for i, name in enumerate(plugins):
        if not isinstance(name, str):
            continue
        try:
            importlib.import_module(name)
        except ImportError as exc:
            problems.append(f"plugins.{i}: cannot import {name!r} ({exc}); check the module "
                            "name and that it is on PYTHONPATH")
    return problems


def _registry_problems(data: dict[str, Any], config: RunConfig | None) -> list[str]:
    from mckd.students import STUDENTS
    from mckd.tasks import TASKS

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
    student = data.get("student") if isinstance(data.get("student"), dict) else {}
    backend = student.get("backend", "seq2seq")
    if isinstance(backend, str) and backend not in STUDENTS.names():
        problems.append(f"student.backend: unknown student backend {backend!r}; valid choices: "
                        f"{', '.join(STUDENTS.names())} (a plugin module can register more)")
    if task is not None and config is not None:
        fmt = config.student.target_format
        if fmt not in task.target_formats:
            problems.append(f"student.target_format: {task_name} has no format {fmt!r}; valid "
                            f"choices: {', '.join(task.target_formats)}")
    return problems


def _build_task(name: str, options: Any) -> tuple[Any, str]:
    from mckd.tasks import get_task

    if not isinstance(options, dict):
        return None, ""  # the schema reports a wrong type
    try:
        return get_task(name, **options), ""
    except TypeError as exc:
        return None, f"task.options: {name} does not accept {sorted(options)} ({exc})"
    except MckdError as exc:  # e.g. a malformed label inventory: list it with the rest
        return None, f"task.options: {exc}"


def _data_problems(section: Any, task_section: Any) -> list[str]:
    """Check the dataset folder and every split the run reads exist."""
    if not isinstance(section, dict):
        return []
    try:
        data = DataSection.model_validate(section)
    except ValidationError:
        return []  # already reported by the schema
    root = data.resolved_path()
    if not root.is_dir():
        if data.path.startswith(BUILTIN_PREFIX):
            names = builtin_dataset_names()
            name = data.path[len(BUILTIN_PREFIX):]
            hint = suggest(name, names, noun="builtin datasets") if names else "none are installed"
            return [f"data.path: no builtin dataset {name!r}; {hint}"]
        return [(f"data.path: {data.path!r} is not a folder (looked in {root.resolve()}); "
                 "give a dataset folder made by `mckd data` or builtin:NAME")]
    problems = []
    available = sorted({p.stem for p in root.glob("*.jsonl")}
                       | {p.parent.name for p in root.glob("*/state.json")})
    for role, split in data.roles().items():
        if not data.split_file(split).exists():
            problems.append(f"data.{role}: no split {split!r} in {root}; available: "
                            f"{', '.join(available) or 'none'}")
    if data.test in (data.unlabeled, data.labeled):
        problems.append(f"data.test: {data.test!r} is also used for training; "
                        "pick a held-out split")
    problems += _dataset_task_problem(root, task_section)
    return problems


def _dataset_task_problem(root: Path, task_section: Any) -> list[str]:
    meta_path = root / "dataset.json"
    if not meta_path.is_file():
        return []
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return [f"data.path: {meta_path} is not valid JSON ({exc})"]
    task_name = (task_section or {}).get("name", "constituency") if isinstance(
        task_section, dict) else None
    ds_task = meta.get("task") if isinstance(meta, dict) else None
    if isinstance(ds_task, str) and isinstance(task_name, str) and ds_task != task_name:
        return [f"task.name: {task_name!r} but the dataset {root} is for task {ds_task!r}"]
    return []


def dump_config(config: RunConfig) -> str:
    """The resolved config as YAML (what ``config.yaml`` in the run directory holds)."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
