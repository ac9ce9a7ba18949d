"""Typed run configuration (pydantic v2): the schema of a run, YAML loading and overrides.

``load_config(path, overrides)`` and ``RunConfig`` are imported lazily so that importing one
section's module (e.g. ``mckd.config.student``) stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ConfigError", "RunConfig", "load_config"]


def __getattr__(name: str) -> Any:
    if name == "load_config":
        from mckd.config.loading import load_config

        return load_config
    if name == "RunConfig":
        from mckd.config.schema import RunConfig

        return RunConfig
    if name == "ConfigError":
        from mckd.core.errors import ConfigError

        return ConfigError
    raise AttributeError(f"module 'mckd.config' has no attribute {name!r}")
