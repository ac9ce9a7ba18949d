"""Configuration of the ``replay`` teacher: pseudolabels read from a JSONL file.

For labels made elsewhere (e.g. the paper authors' released gpt-3.5 labels, or the
``teacher/labels.jsonl`` of an earlier mckd run)::

    teacher:
      backend: replay
      replay: {path: labels/craft_gpt35.jsonl, join: text, output_field: output}

Each line of the file is a JSON object; ``output_field`` holds the label text, and
``id_field`` or ``input_field`` the key it is joined to the run's inputs by. The defaults read
an mckd ``teacher/labels.jsonl`` as it is (``id``, ``source``, ``raw``).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ReplayTeacherConfig(BaseModel):
    """Replayed pseudolabels (``teacher.replay``)."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(..., min_length=1, description="JSONL file of pseudolabels, one object "
                      "per line")
    join: Literal["id", "text"] = Field(
        "id", description="'id': an input takes the line whose id_field equals its id; "
        "'text': the line whose input_field equals its text (whitespace runs collapsed)")
    id_field: str = Field("id", min_length=1, description="field holding the input id")
    input_field: str = Field("source", min_length=1, description="field holding the input text")
    output_field: str = Field("raw", min_length=1, description="field holding the label text "
                              "as the teacher wrote it")
    lowercase: bool = Field(False, description="join='text' only: compare texts lower-cased")
    sha256: str | None = Field(
        None, description="expected SHA-256 of the file (hex); a different file is an error. "
        "Set it to make a changed file count as a changed config when a run resumes")

    @field_validator("sha256")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", value):
            raise ValueError("sha256 must be 64 hex digits (e.g. the output of `sha256sum FILE`)")
        return None if value is None else value.lower()
