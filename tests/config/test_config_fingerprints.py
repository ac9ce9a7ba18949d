"""Which settings step fingerprints cover: read off the schema's field markers."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from mckd.config.fingerprints import RUNTIME, AddedLater, fingerprinted
from mckd.config.llm import OpenAITeacherConfig
from mckd.config.student import StudentConfig


class Inner(BaseModel):
    size: int = 3
    cache: Annotated[str, RUNTIME] = "a.sqlite"


class Section(BaseModel):
    lr: float = 0.1
    threads: Annotated[int | None, RUNTIME] = None
    mode: Annotated[str, AddedLater("old")] = Field("new")
    inner: Annotated[Inner, AddedLater()] = Field(default_factory=Inner)


def test_runtime_fields_are_left_out_and_added_later_ones_only_at_their_earlier_value():
    assert fingerprinted(Section()) == {"lr": 0.1, "mode": "new"}  # inner at its defaults
    assert fingerprinted(Section(threads=4, mode="old")) == {"lr": 0.1}
    changed = Section(inner=Inner(size=5, cache="b.sqlite"))
    assert fingerprinted(changed) == {"lr": 0.1, "mode": "new", "inner": {"size": 5}}
    # a runtime-only change inside a section added later leaves it out still
    assert fingerprinted(Section(inner=Inner(cache="b.sqlite"))) == {"lr": 0.1, "mode": "new"}


def test_the_run_schema_marks_what_runs_made_before_these_settings_expect():
    student = fingerprinted(StudentConfig())
    assert {"threads", "compile", "parallel_steps", "tagger"}.isdisjoint(student)
    # removed settings: the values every run had before are kept (RETIRED_FINGERPRINT)
    assert student["batching"] == "random" and student["unpadded"] is True
    openai = fingerprinted(OpenAITeacherConfig(model="m", concurrency=3))
    assert "concurrency" not in openai and "ledger" not in openai and openai["model"] == "m"
