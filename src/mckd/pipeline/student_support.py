"""Optional student capabilities some steps need, checked before a run starts.

Two analyses ask more of a student backend than ``mckd.students.base`` requires:

- ``baselines.kd_sd_filter`` ranks a student's outputs by their mean token log-probability.
  The backend class sets ``scored_generation = True`` and its loaded students have
  ``generate_scored(sources, *, constraint=None, progress_desc=None)`` returning, per source
  in input order, an object with ``text: str`` and ``mean_logprob: float`` (the mean over the
  tokens the student chose, end-of-sequence included, of log p(token | prefix, source) under
  its unconstrained distribution; ``seq2seq`` leaves out the input words its interleaved
  outputs copy, see ``mckd.students.scoring``).
- ``analyses.heldout_curves`` records held-out quality per epoch. The backend's ``train``
  accepts ``heldout`` ((source, gold target) pairs) and ``heldout_fn`` (scored like
  ``fidelity_fn``); after every epoch it generates the held-out sources and stores
  ``heldout_fn(...)`` as ``history[i]["heldout"]``, never using it to select or stop.

``check_student_support`` turns a missing capability into a ``ConfigError`` before any work.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from mckd.config.schema import RunConfig
from mckd.core.errors import ConfigError
from mckd.core.hashing import stable_seed
from mckd.students import STUDENTS
from mckd.students.base import FidelityFn, Student
from mckd.tasks.base import DecodingConstraint, Task

if TYPE_CHECKING:
    from mckd.core.records import Example
    from mckd.pipeline.context import RunContext, Step

#: class attribute of a backend whose students implement ``generate_scored``
SCORED_GENERATION = "scored_generation"


class ScoredGeneration(Protocol):
    """One output of ``generate_scored``: the text and its mean token log-probability."""

    text: str
    mean_logprob: float


def check_student_support(config: RunConfig) -> None:
    """Raise a ``ConfigError`` naming each requested option the student backend cannot serve."""
    name = config.student.backend
    backend = STUDENTS.get(name)
    problems = []
    if config.baselines.kd_sd_filter and not getattr(backend, SCORED_GENERATION, False):
        problems.append(
            f"baselines.kd_sd_filter: student backend {name!r} does not report the mean token "
            "log-probability of its outputs (scored_generation), which the filter ranks by; "
            "set baselines.kd_sd_filter: false or use a backend that does")
    if config.analyses.heldout_curves and "heldout" not in inspect.signature(backend.train).parameters:
        problems.append(
            f"analyses.heldout_curves: student backend {name!r} cannot score held-out pairs "
            "during training (train(..., heldout=, heldout_fn=)); set "
            "analyses.heldout_curves: false (the fidelity curve is recorded anyway)")
    if problems:
        raise ConfigError("; ".join(problems))


def heldout_arguments(ctx: RunContext, step: Step) -> dict[str, Any]:
    """``train`` keyword arguments for ``analyses.heldout_curves`` (empty when off)."""
    cfg = ctx.config.analyses
    if not cfg.heldout_curves:
        return {}
    from mckd.pipeline.data import subsample

    examples = subsample(ctx.data.test, cfg.heldout_examples,
                         stable_seed(ctx.config.seed, "heldout"))
    fmt = ctx.target_format
    pairs = [(ex.source, ctx.task.gold_target(ex, fmt)) for ex in examples]
    return {"heldout": pairs, "heldout_fn": make_heldout_fn(ctx.task, fmt, examples)}


def make_heldout_fn(task: Task, fmt: str, examples: Sequence[Example]) -> FidelityFn:
    """heldout(sources, references, outputs) -> mean ``Task.example_score`` x 100 against the
    gold of the example each source comes from (the paper metric for constituency)."""
    by_source = {ex.source: ex for ex in examples}

    def heldout(sources: Sequence[str], references: Sequence[str],
                outputs: Sequence[str]) -> float:
        total = sum(task.example_score(by_source[s], task.check(s, o, fmt))
                    for s, o in zip(sources, outputs, strict=True))
        return 100.0 * total / max(1, len(outputs))

    return heldout


def generate_scored(student: Student, sources: Sequence[str], *,
                    constraint: DecodingConstraint | None,
                    progress_desc: str) -> list[ScoredGeneration]:
    """The student's outputs with their mean token log-probabilities.

    Raises:
        ConfigError: the student cannot score its outputs (see the module doc).
    """
    method = getattr(student, "generate_scored", None)
    if method is None:
        raise ConfigError(f"{type(student).__name__} has no generate_scored(); "
                          "set baselines.kd_sd_filter: false")
    outputs = list(method(sources, constraint=constraint, progress_desc=progress_desc))
    if len(outputs) != len(sources):
        raise RuntimeError(f"generate_scored returned {len(outputs)} outputs for "
                           f"{len(sources)} sources")
    return outputs
