"""Load a run config: YAML file, then ``key=value`` overrides, then validation of everything.

Every problem found (unknown keys, bad values, unregistered backends, missing dataset splits)
is collected and raised together in one ``ConfigError``, before anything heavy is loaded. This
package sees only the schema and the files; the checks against the registries of tasks and
students live with the code that owns them (``mckd.pipeline.config_checks``).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
from collections.abc import Callable, Sequence
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
from mckd.core.errors import ConfigError

log = logging.getLogger(__name__)

#: an extra check of a config dict (and its validated config, None when the schema failed):
#: returns problems, each "dotted.path: what is wrong; the valid choices"
Check = Callable[[dict[str, Any], RunConfig | None], list[str]]


def load_config(path: str | os.PathLike[str], overrides: Sequence[str] = (), *,
                checks: Sequence[Check] = ()) -> RunConfig:
    """Read, override and validate a run config.

    Args:
        path: YAML file.
        overrides: dotted ``key=value`` strings applied after the file, in order; values are
            parsed as YAML (``mckd.stages=1``, ``data.dev=null``, ``plugins=[my_pkg]``).
        checks: more checks whose problems are reported with the schema's (the registries of
            tasks and students: ``mckd.pipeline.config_checks.load_run_config``).

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
    return validate_config(data, where=where, prior=problems, source=str(path), checks=checks)


def validate_config(
    data: dict[str, Any],
    *,
    where: dict[str, str] | None = None,
    prior: Sequence[str] = (),
    source: str = "config",
    checks: Sequence[Check] = (),
) -> RunConfig:
    """Validate a config dict (plugins imported first), check the dataset on disk and run
    ``checks``; raise one ``ConfigError`` with every problem."""
    problems = list(prior)
    problems += import_plugins(data.get("plugins"))
    config: RunConfig | None = None
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as exc:
        problems += describe_errors(exc, RunConfig, where=where)
    for check in checks:
        problems += check(data, config)
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
