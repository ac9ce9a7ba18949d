"""Turn pydantic validation errors into one line per problem, each with its dotted path.

Each line says what is wrong and, where the schema knows them, the valid choices: unknown keys
get a "did you mean" from the fields allowed at that place.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

_BOUNDS = {
    "greater_than_equal": ("ge", ">="),
    "greater_than": ("gt", ">"),
    "less_than_equal": ("le", "<="),
    "less_than": ("lt", "<"),
}


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (``X``, ``X | None``, ``list[X]``...), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, tuple, dict):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names accepted at ``loc`` (a path of keys below ``model``); [] if unknown."""
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return []
        field = current.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            continue  # list index / dict key: stay on the same model
        current = _model_in(field.annotation)
    return sorted(current.model_fields) if current is not None else []


def suggest(word: str, choices: list[str], noun: str = "keys") -> str:
    """``did you mean 'x'?`` for the closest choice, else ``valid <noun>: ...``."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"valid {noun}: {', '.join(choices)}" if choices else "remove it"


def _describe(error: dict[str, Any], model: type[BaseModel]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    loc = tuple(error["loc"])
    got = error.get("input")
    if kind == "extra_forbidden":
        return f"unknown key; {suggest(str(loc[-1]), allowed_keys(model, loc[:-1]))}"
    if kind == "missing":
        return "required; add it"
    if kind in _BOUNDS:
        key, op = _BOUNDS[kind]
        return f"must be {op} {ctx.get(key)} (got {got!r})"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')} (got {got!r})"
    msg = str(error.get("msg", kind)).removeprefix("Value error, ")
    if isinstance(got, (str, int, float, bool)) or got is None:
        msg += f" (got {got!r})"
    return msg


def describe_errors(
    exc: ValidationError,
    model: type[BaseModel],
    *,
    where: dict[str, str] | None = None,
) -> list[str]:
    """One ``dotted.path: problem [where]`` line per error in ``exc``.

    Args:
        exc: the validation error raised by ``model.model_validate``.
        model: the model that was validated (to look up valid keys for suggestions).
        where: dotted path -> location text (e.g. "line 12", "override"), appended if known.
    """
    where = where or {}
    lines = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        dotted = ".".join(str(p) for p in loc) or "(top level)"
        text = f"{dotted}: {_describe(error, model)}"
        place = _locate(loc, where)
        lines.append(f"{text} [{place}]" if place else text)
    return lines


def _locate(loc: tuple[Any, ...], where: dict[str, str]) -> str:
    """The location of the longest prefix of ``loc`` that ``where`` knows."""
    for n in range(len(loc), 0, -1):
        key = ".".join(str(p) for p in loc[:n])
        if key in where:
            return where[key]
    return ""
