"""Name -> factory registries with lazy imports, so heavy backends load only when chosen."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from mckd.core.errors import ConfigError


class Registry:
    """Maps short names to ``"module:attribute"`` strings or objects, resolved on first use."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, str | Callable[..., Any]] = {}

    def register(self, name: str, target: str | Callable[..., Any]) -> None:
        """Register ``target`` (an object or a lazy ``"pkg.module:attr"`` path) under ``name``."""
        self._entries[name] = target

    def names(self) -> list[str]:
        return sorted(self._entries)

    def get(self, name: str) -> Any:
        if name not in self._entries:
            raise ConfigError(
                f"unknown {self.kind} {name!r}; valid choices: {', '.join(self.names())}"
            )
        target = self._entries[name]
        if isinstance(target, str):
            module, _, attr = target.partition(":")
            target = getattr(importlib.import_module(module), attr)
            self._entries[name] = target
        return target
