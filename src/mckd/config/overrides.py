"""Dotted ``key=value`` overrides (``student.max_epochs=3``) applied to a config dict."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import yaml


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``a.b.c=value`` into (["a", "b", "c"], value parsed as a YAML scalar/flow value).

    Raises:
        ValueError: no ``=``, an empty key part, or a value that is not valid YAML.
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError("expected key=value, e.g. student.max_epochs=3")
    parts = key.split(".")
    if any(not p for p in parts):
        raise ValueError(f"empty part in key {key!r}; write section.key=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as exc:
        raise ValueError(f"value {raw!r} is not valid YAML ({exc.__class__.__name__})") from None
    return parts, value


def apply_overrides(
    data: dict[str, Any], overrides: Sequence[str]
) -> tuple[dict[str, Any], list[str], set[str]]:
    """Apply overrides in order to a copy of ``data``.

    Returns:
        (new data, problems, dotted keys that were overridden). A problem names the override
        and what was wrong with it; valid overrides are still applied.
    """
    out = copy.deepcopy(data)
    problems: list[str] = []
    touched: set[str] = set()
    for text in overrides:
        try:
            parts, value = parse_override(text)
        except ValueError as exc:
            problems.append(f"override {text!r}: {exc}")
            continue
        node: Any = out
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                where = ".".join(parts[: depth + 1])
                problems.append(
                    f"override {text!r}: {where} is {child!r}, not a section; "
                    f"set {where}=... instead"
                )
                break
            node = child
        else:
            node[parts[-1]] = value
            touched.add(".".join(parts))
    return out, problems, touched
