"""The error-model interface and the per-example plan every simulated answer starts from.

Per example the simulated teacher draws a *planned score* (how good this answer should be),
then the task's error model applies the teacher's systematic rules and random errors until the
answer scores about the plan, then rare surface damage. Everything an example gets is drawn
from random streams seeded by ``(teacher seed, purpose, example id)``, so it never depends on
which other examples are labelled or in what order.
"""

from __future__ import annotations

import bisect
import math
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

from mckd.config.teacher import SimulatedTeacherConfig
from mckd.core.hashing import stable_seed
from mckd.core.records import Example, Status

_NORMAL = NormalDist()


@dataclass(frozen=True)
class Plan:
    """What one example's answer should look like.

    Attributes:
        score: planned score in [0, 1] that random errors aim at.
        keep_u: uniform draw that decides whether the edit crossing the plan is kept.
        rules: the teacher's systematic rules (applied wherever they match).
        random_errors: False when all corruption is systematic (``systematic_share`` 1).
    """

    score: float
    keep_u: float
    rules: tuple[str, ...]
    random_errors: bool


@dataclass(frozen=True)
class Simulated:
    """One simulated answer.

    Attributes:
        text: the answer as an LLM would return it.
        finish_reason: "stop", or "length" when truncated.
        planned: the planned score the answer aimed at.
        score_hint: the task's score of ``text`` when the model knows it without checking
            (an undamaged answer), else None; calibration uses it to skip the checker.
        status_hint: likewise the checker's verdict, when the model knows it.
        systematic_score: the score after the systematic rules alone (before random errors).
        meta: what was done (errors by kind, rules that fired, surface damage).
    """

    text: str
    finish_reason: str
    planned: float
    score_hint: float | None
    status_hint: Status | None
    systematic_score: float
    meta: dict[str, Any] = field(default_factory=dict)


def answer(text: str, finish: str, damage: dict[str, Any], plan: Plan, *, score: float,
           systematic: float, random_errors: dict[str, int],
           rules_fired: dict[str, int]) -> Simulated:
    """Assemble one simulated answer with its meta.

    The structure's score (and the checker's verdict: valid, or repaired when the prompt's
    ``Output:`` was echoed) is vouched for only when no surface damage touched the answer;
    otherwise calibration runs the task's checker.

    Args:
        text: the answer's text; ``finish``: its finish reason.
        damage: what surface damage did (see :func:`.surface.damage`).
        plan: the example's plan.
        score: the score of the structure written (before surface damage).
        systematic: the score after the systematic rules alone.
        random_errors: random edits kept, by kind.
        rules_fired: matches per systematic rule.
    """
    meta = {
        "planned_score": round(plan.score, 4),
        "systematic_score": round(systematic, 4),
        "structure_score": round(score, 4),
        "random_errors": random_errors,
        "systematic_rules_fired": rules_fired,
        **damage,
    }
    if damage["word_error"] or damage["malformed"] or damage["truncated"]:
        return Simulated(text, finish, plan.score, None, None, systematic, meta)
    # spacing is no repair to a checker; text before the answer is
    status = Status.REPAIRED if damage["layout"] == "echoed_prompt" else Status.VALID
    return Simulated(text, finish, plan.score, score, status, systematic, meta)


def apply_in_place(rules: Mapping[str, Callable[..., int]], names: Collection[str],
                   *args: Any) -> dict[str, int]:
    """Apply the rules named in ``names``, in ``rules``' order, to ``args`` (rewritten in
    place); return how many places each rule that matched changed."""
    fired: dict[str, int] = {}
    for name, rule in rules.items():
        if name in names:
            count = rule(*args)
            if count:
                fired[name] = count
    return fired


class ErrorModel(ABC):
    """How one task's labels go wrong. Instances are stateless apart from the config."""

    #: the task (registry name) this model corrupts
    task_name: str = ""
    #: every systematic rule by name, in application order
    rule_names: tuple[str, ...] = ()
    #: sets of rules that contradict each other (a teacher uses at most one of each)
    rule_groups: tuple[frozenset[str], ...] = ()

    def __init__(self, config: SimulatedTeacherConfig):
        self.config = config

    @abstractmethod
    def prepare(self, example: Example) -> Any:
        """Parse ``example.gold`` once (raises ``DataError`` naming the id when unusable)."""

    @abstractmethod
    def size(self, prepared: Any) -> int:
        """How many scored units (words) the example has; longer inputs get worse answers."""

    @abstractmethod
    def systematic_score(self, prepared: Any, rules: tuple[str, ...]) -> float:
        """The score of the gold after applying ``rules`` only."""

    @abstractmethod
    def simulate(self, prepared: Any, plan: Plan, edits: random.Random,
                 surface: random.Random) -> Simulated:
        """Produce one answer following ``plan``; ``edits``/``surface`` are the example's
        random streams for structural errors and for surface damage."""

    @abstractmethod
    def reference(self) -> list[Example]:
        """The fixed, shipped reference sample that calibration runs on (gold on every item)."""

    def reference_sizes(self) -> list[int]:
        """``size`` of every reference example (override with something faster than
        preparing them all)."""
        return [self.size(self.prepare(ex)) for ex in self.reference()]


def streams(seed: int, example_id: str) -> tuple[random.Random, random.Random, random.Random]:
    """The example's independent random streams: (plan, edits, surface)."""
    return tuple(random.Random(stable_seed(seed, "simulated", part, example_id))
                 for part in ("plan", "edits", "surface"))  # type: ignore[return-value]


class LengthScale:
    """Maps an input size to a standard-normal score of how long it is (0 = median length)
    within the reference sample, so the length effect averages out on reference-like data."""

    def __init__(self, sizes: Sequence[int]):
        self._sorted = sorted(sizes)

    def quantiles(self, k: int) -> list[int]:
        """``k`` evenly spaced quantiles of the reference sizes (mid-points)."""
        n = len(self._sorted)
        return [self._sorted[min(n - 1, int((i + 0.5) * n / k))] for i in range(k)] if n else [0]

    def z(self, size: int) -> float:
        """Normal score of ``size``'s mid-rank in the reference sizes."""
        n = len(self._sorted)
        below = bisect.bisect_left(self._sorted, size)
        equal = bisect.bisect_right(self._sorted, size) - below
        q = (below + 0.5 * equal) / n if n else 0.5
        return _NORMAL.inv_cdf(min(max(q, 0.5 / n), 1 - 0.5 / n)) if n else 0.0


def plan_score(config: SimulatedTeacherConfig, offset: float, length_z: float,
               noise_z: float) -> float:
    """The planned score of one example.

    Logit-normal around the target: ``logit(p) = logit(target + offset) - a*length_z +
    b*noise_z`` with ``a``, ``b`` set so the spread (standard deviation) is about
    ``config.spread`` points, ``length_weight`` of its variance from length. ``offset`` (points)
    is the calibration's correction for what the plan cannot control (floors of short inputs,
    systematic overshoot, surface damage).
    """
    mean = min(max((config.target_f1 + offset) / 100.0, 0.005), 0.995)
    slope = (config.spread / 100.0) / (mean * (1 - mean))
    a = math.sqrt(config.length_weight) * slope
    b = math.sqrt(1.0 - config.length_weight) * slope
    logit = math.log(mean / (1 - mean)) - a * length_z + b * noise_z
    return 1.0 / (1.0 + math.exp(-logit))
