"""Which settings a step's input fingerprint covers, marked on the schema's fields.

A run directory records, per step, a fingerprint of the config values the step read; a rerun
whose fingerprint differs refuses to reuse the step's output. Two kinds of setting are left
out, marked where the field is declared (``Annotated[type, RUNTIME]`` or
``Annotated[type, AddedLater(value)]``):

- ``RUNTIME``: changes how a step runs, never what it produces (threads, concurrency, the
  ledger's path); changing it between reruns is allowed.
- ``AddedLater(value)``: a setting added after run directories already existed; left out while
  it holds ``value`` (what earlier versions did, not necessarily today's default), so those
  runs resume. ``AddedLater()`` means its default (a whole new section left at its defaults).

A section whose settings were removed lists the values earlier fingerprints covered in a
``RETIRED_FINGERPRINT`` class attribute; they stay in its fingerprint, so those runs resume.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, TypeAdapter


@dataclass(frozen=True)
class Runtime:
    """Marker: the setting never changes a step's output."""


RUNTIME = Runtime()

_DEFAULT = object()


@dataclass(frozen=True)
class AddedLater:
    """Marker: left out of fingerprints while it equals ``value`` (default: the field's own
    default), the behaviour of versions that did not have it."""

    value: Any = _DEFAULT


def fingerprinted(model: BaseModel) -> dict[str, Any]:
    """``model.model_dump(mode="json")`` without its ``RUNTIME`` fields and its ``AddedLater``
    fields that hold their earlier value, recursively through nested sections, plus its
    ``RETIRED_FINGERPRINT`` values."""
    dumped = model.model_dump(mode="json")
    out: dict[str, Any] = {}
    for name, value in dumped.items():
        field = type(model).model_fields[name]
        if any(isinstance(m, Runtime) for m in field.metadata):
            continue
        current = getattr(model, name)
        if isinstance(current, BaseModel):
            value = fingerprinted(current)
        later = next((m for m in field.metadata if isinstance(m, AddedLater)), None)
        if later is not None and value == _earlier(field, later):
            continue
        out[name] = value
    out.update(getattr(type(model), "RETIRED_FINGERPRINT", {}))
    return out


def _earlier(field: Any, later: AddedLater) -> Any:
    """The marked earlier value, in the form ``fingerprinted`` compares (JSON, sections
    fingerprinted)."""
    earlier = (field.get_default(call_default_factory=True) if later.value is _DEFAULT
               else later.value)
    if isinstance(earlier, BaseModel):
        return fingerprinted(earlier)
    return TypeAdapter(Any).dump_python(earlier, mode="json")
