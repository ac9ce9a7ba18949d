"""Teacher configuration: which backend labels the unlabeled inputs, and its knobs.

Backends: ``simulated`` (a documented stand-in for an LLM that corrupts the gold labels with
LLM-like errors, for offline runs and benchmarks; see ``mckd.teachers.simulated``), ``openai``
(any OpenAI-compatible server), ``transformers`` (a local causal LM) and ``replay``
(pseudolabels read from a JSONL file). Each backend gets its own sub-section named like the
backend, so adding one means a new ``*TeacherConfig`` class, a new name in
:data:`TEACHER_BACKENDS` and a new field of :class:`TeacherConfig`::

    teacher:
      backend: simulated
      simulated: {target_f1: 60, systematic_share: 0.3}
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mckd.config.llm import OpenAITeacherConfig, TransformersTeacherConfig
from mckd.config.replay import ReplayTeacherConfig

#: backend names a run config may choose (the teacher registry maps them to classes)
TEACHER_BACKENDS = ("simulated", "openai", "transformers", "replay")

#: what the error for a missing backend section suggests setting
_SECTION_EXAMPLE = {"openai": "model=gpt-3.5-turbo", "transformers": "model=/path/to/model",
                    "replay": "path=labels.jsonl"}


class SimulatedTeacherConfig(BaseModel):
    """Knobs of the simulated teacher (``teacher.simulated`` in a run config).

    The teacher needs gold for every input it labels. Per example it draws a planned sentence
    score (mean ``target_f1``, standard deviation ``spread``, lower for longer inputs), applies
    the teacher's systematic rules, then random errors until the score reaches the plan, then
    rare surface damage (changed words, unbalanced brackets, truncation). The mean is
    calibrated against a fixed reference sample shipped with mckd (2,000 CRAFT sentences of
    every length for constituency; the 2,000 unlabeled utterances of the SNIPS and TOP demos
    for ``slots`` and ``top``), so an example's output never depends on which other examples
    are labelled; on data of other lengths the mean moves as an LLM's would.
    """

    model_config = ConfigDict(extra="forbid")

    target_f1: float = Field(
        60.0, ge=5.0, le=99.0,
        description="mean sentence score to hit, in points (the paper's gpt-3.5 on CRAFT: 60.0, "
        "on PTB: 69.1), as the task's headline metric measures it (invalid outputs score 0), "
        "on inputs of the reference's lengths; shorter inputs score higher (the 5-30 token "
        "CRAFT demo: about +2.6 at the defaults)",
    )
    spread: float = Field(
        16.0, ge=0.0, le=30.0,
        description="standard deviation of the per-example planned score, in points (16 gives "
        "good-half / bad-half means about 13 points either side of the mean, as the paper's "
        "PTB teacher: 81.9 / 56.7 around 69)",
    )
    length_weight: float = Field(
        0.3, ge=0.0, le=1.0,
        description="share of the spread's variance explained by input length (longer inputs "
        "get worse labels, as with LLMs); 0 makes quality independent of length",
    )
    systematic_share: float = Field(
        0.3, ge=0.0, le=1.0,
        description="fraction of the corruption spent on systematic errors (rules applied "
        "wherever they match, which a student can learn); the rest is random per example",
    )
    systematic_rules: list[str] | None = Field(
        None,
        description="systematic rules to use, by name; None lets the teacher seed pick them "
        "and the calibration decide how many (to match systematic_share)",
    )
    word_error_rate: float = Field(
        0.04, ge=0.0, le=0.5,
        description="share of outputs with one dropped, duplicated or changed word (slot "
        "filling and TOP: or one hallucinated word)",
    )
    malformed_rate: float = Field(
        0.03, ge=0.0, le=0.5,
        description="share of malformed outputs (unbalanced brackets; for slot filling: a "
        "missing or stray tag, an unknown slot type, an answer in the wrong format)",
    )
    truncated_rate: float = Field(
        0.01, ge=0.0, le=0.5,
        description="share of outputs cut off mid-way (finish_reason 'length')",
    )
    loose_format_rate: float = Field(
        0.15, ge=0.0, le=1.0,
        description="share of outputs laid out loosely, as chat models do: irregular spacing "
        "(harmless to the checker) or an echoed 'Output:' before the answer (repaired)",
    )
    calibration_size: int = Field(
        1000, ge=50, le=2000,
        description="reference examples used to calibrate the mean (more: closer, slower)",
    )

    @model_validator(mode="after")
    def _rates_fit(self) -> SimulatedTeacherConfig:
        if self.malformed_rate + self.truncated_rate > 0.5:
            raise ValueError(
                "malformed_rate + truncated_rate must be at most 0.5 "
                f"(got {self.malformed_rate} + {self.truncated_rate}); lower one of them"
            )
        if self.systematic_rules is not None and not self.systematic_rules:
            raise ValueError("systematic_rules is empty; use null to let the seed choose")
        return self


class TeacherConfig(BaseModel):
    """The ``teacher:`` section of a run config: the backend name and its sub-section."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["simulated", "openai", "transformers", "replay"] = Field(
        "simulated", description=f"teacher backend; one of {', '.join(TEACHER_BACKENDS)}"
    )
    simulated: SimulatedTeacherConfig = Field(
        default_factory=SimulatedTeacherConfig,
        description="knobs of the simulated teacher (used when backend is 'simulated')",
    )

    openai: OpenAITeacherConfig | None = Field(
        None,
        description="an OpenAI-compatible server (OpenAI, vLLM, SGLang, llama.cpp, Ollama); "
        "required when backend is 'openai'",
    )
    transformers: TransformersTeacherConfig | None = Field(
        None, description="a local causal LM run with transformers (a folder or Hugging Face "
        "name); required when backend is 'transformers'",
    )
    replay: ReplayTeacherConfig | None = Field(
        None, description="pseudolabels read from a JSONL file; required when backend is "
        "'replay'",
    )

    @model_validator(mode="after")
    def _backend_section_present(self) -> TeacherConfig:
        if self.backend in TEACHER_BACKENDS and getattr(self, self.backend) is None:
            raise ValueError(
                f"teacher.{self.backend} is required when teacher.backend is {self.backend!r} "
                f"(e.g. teacher.{self.backend}.{_SECTION_EXAMPLE.get(self.backend, '...')})"
            )
        return self

    def backend_options(self) -> BaseModel | None:
        """The sub-section of the chosen backend (e.g. ``self.simulated``); None for a backend
        a plugin registered (it has no sub-section)."""
        return getattr(self, self.backend, None) if self.backend in TEACHER_BACKENDS else None
