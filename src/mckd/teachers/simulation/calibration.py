"""Calibrating a simulated teacher against its error model's fixed reference sample.

Calibration depends only on the config, the teacher seed and the reference shipped with mckd,
never on the examples being labelled, so an example's answer does not change when the
unlabeled pool does (or when labelling resumes with a subset). Two things are calibrated:

1. which systematic rules the teacher uses: the seed orders the rules; walking that order, a
   rule is taken (replacing the chosen rules it contradicts) when that brings the mean score
   loss of the rules on the reference closer to ``systematic_share`` of the loss the target
   implies;
2. an offset (points) added to the planned mean so the *measured* mean score on the reference
   (the task's checker and metric; invalid answers score 0) equals ``target_f1``. It absorbs
   what plans cannot control: short inputs that cannot get worse, systematic rules that
   overshoot a plan, and surface damage. The mean is (exact planned mean) + (sample mean of
   score minus plan), so the plans' own sampling noise stays out; the offset solving it is
   refined until the measured mean is within 0.3 points of the target: by re-solving with the
   last measured gap for the first rounds, then, where the gap keeps moving with the offset
   (tasks with few scored units per input, whose systematic rules hit some inputs hard), by
   secant steps on the measured mean. The round closest to the target is kept.

On data whose lengths differ from the reference, the mean moves the way an LLM's would
(shorter inputs, better answers); ``bench/simulated_teacher.py`` measures it.
"""

from __future__ import annotations

import logging
import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from statistics import NormalDist
from typing import Any

from mckd.config.teacher import SimulatedTeacherConfig
from mckd.core.errors import ConfigError
from mckd.core.hashing import fingerprint, stable_seed
from mckd.core.records import Example, Status
from mckd.tasks.base import Task
from mckd.teachers.simulation.base import ErrorModel, LengthScale, plan_score
from mckd.teachers.simulation.simulator import Simulator

logger = logging.getLogger(__name__)

_TOLERANCE = 0.3  # points: about the sampling error of a 1,000-example mean gap
_FIXED_POINT_ROUNDS = 4  # rounds that re-solve with the last gap before secant steps
_MAX_ROUNDS = 8
_OFFSET_LIMIT = 30.0  # points; beyond this a logit-normal plan stops making sense
_MAX_SECANT_STEP = 5.0  # points; the mean is not linear in the offset far from the last round
_RULE_SAMPLE = 200  # reference examples that measure what a set of rules costs
_QUADRATURE = 40  # length and noise points of the planned mean
_NORMAL = NormalDist()
_CACHE: dict[str, Calibration] = {}
_REFERENCE: dict[str, tuple[list[Example], list[Any], LengthScale]] = {}


@dataclass(frozen=True)
class Calibration:
    """The result of calibrating one teacher (scores in points, rates in percent).

    ``expected`` is the calibrated estimate of the mean on reference-like data (exact planned
    mean + sample mean of score minus plan); ``achieved`` is the plain mean measured on the
    ``n`` calibration examples, which differs from it by their sampling noise.
    """

    target: float
    offset: float
    rules: tuple[str, ...]
    expected: float
    achieved: float
    std: float
    good_half: float
    bad_half: float
    systematic_loss_share: float
    valid_rate: float
    repaired_rate: float
    invalid_rate: float
    n: int
    rounds: int

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for the run manifest (floats rounded to 2 decimals)."""
        return {k: round(v, 2) if isinstance(v, float) else list(v) if isinstance(v, tuple)
                else v for k, v in asdict(self).items()}


def rule_order(model: ErrorModel, seed: int) -> tuple[str, ...]:
    """The order in which the teacher seed considers the systematic rules."""
    names = list(model.rule_names)
    random.Random(stable_seed(seed, "simulated", "rules")).shuffle(names)
    return tuple(names)


def _clashes(model: ErrorModel, rule: str, others: Sequence[str]) -> bool:
    """True when ``rule`` shares a contradicting group with one of ``others``."""
    return any(rule in g and any(o in g and o != rule for o in others)
               for g in model.rule_groups)


def check_rules(model: ErrorModel, names: Sequence[str]) -> tuple[str, ...]:
    """Validate explicitly configured rule names (unknown or contradicting ones are errors)."""
    unknown = [n for n in names if n not in model.rule_names]
    if unknown:
        raise ConfigError(
            f"teacher.simulated.systematic_rules: unknown rule(s) {', '.join(unknown)} for task "
            f"{model.task_name!r}; valid choices: {', '.join(model.rule_names)}")
    for group in model.rule_groups:
        clash = sorted(set(names) & group)
        if len(clash) > 1:
            raise ConfigError(f"teacher.simulated.systematic_rules: {' and '.join(clash)} "
                              "contradict each other; keep one")
    return tuple(n for n in model.rule_names if n in names)


def calibrate(task: Task, model: ErrorModel, config: SimulatedTeacherConfig,
              seed: int) -> tuple[Simulator, Calibration]:
    """Calibrate (cached per process by config, seed and task) and return the simulator."""
    examples, prepared, scale = _reference(model, config.calibration_size)
    key = fingerprint([task.name, type(model).__qualname__, config.model_dump(), seed])
    if key in _CACHE:
        cal = _CACHE[key]
        return Simulator(model, config, seed, cal.rules, cal.offset, scale), cal
    rules = _choose_rules(model, config, seed, prepared)
    if config.systematic_share >= 1.0:  # nothing to steer: the rules decide the mean
        sim = Simulator(model, config, seed, rules, 0.0, scale)
        cal, _ = _measure(task, sim, examples, prepared, config, 0.0, rules, 1)
        cal = replace(cal, expected=cal.achieved)
    else:  # plans steer random errors only
        sim, cal = _refine(task, model, config, seed, rules, scale, examples, prepared)
    if abs(cal.expected - cal.target) > 1.0:
        logger.warning("simulated teacher: calibrated mean %.1f misses target %.1f (%s)",
                       cal.expected, cal.target, "systematic rules alone cannot reach it"
                       if config.systematic_share >= 1.0 else "plans cannot reach it")
    _CACHE[key] = cal
    return sim, cal


def _refine(task: Task, model: ErrorModel, config: SimulatedTeacherConfig, seed: int,
            rules: tuple[str, ...], scale: LengthScale, examples: Sequence[Example],
            prepared: Sequence[Any]) -> tuple[Simulator, Calibration]:
    """Refine the offset round by round (module docstring); the round closest to the target
    wins."""
    planned = _planned_mean(config, scale)
    top = _highest_offset(planned)
    sim = Simulator(model, config, seed, rules, 0.0, scale)
    gap = statistics.fmean(_score_minus_plan(task, sim, ex, p)
                           for ex, p in zip(examples, prepared))
    offset = _solve(planned, config.target_f1 - gap, top)
    history: list[tuple[float, float]] = []  # (offset, expected mean) per round
    best: tuple[Simulator, Calibration] | None = None
    for rounds in range(1, _MAX_ROUNDS + 1):
        sim = Simulator(model, config, seed, rules, offset, scale)
        cal, gap = _measure(task, sim, examples, prepared, config, offset, rules, rounds)
        cal = replace(cal, expected=planned(offset) + gap)
        history.append((offset, cal.expected))
        if best is None or abs(cal.expected - cal.target) < abs(best[1].expected - cal.target):
            best = sim, cal
        if abs(cal.expected - cal.target) < _TOLERANCE:
            break
        offset = _next_offset(planned, config.target_f1, gap, history, top)
    assert best is not None  # _MAX_ROUNDS >= 1
    return best[0], replace(best[1], rounds=rounds)


def _planned_mean(config: SimulatedTeacherConfig, scale: LengthScale) -> Callable[[float], float]:
    """offset -> mean planned score (points) over the reference lengths and the noise, by
    quadrature rather than sampling, so the plans' own sampling noise stays out."""
    noise = [_NORMAL.inv_cdf((k + 0.5) / _QUADRATURE) for k in range(_QUADRATURE)]
    lengths = [scale.z(n) for n in scale.quantiles(_QUADRATURE)]

    def mean(offset: float) -> float:
        return 100.0 * statistics.fmean(
            plan_score(config, offset, z, e) for z in lengths for e in noise)

    return mean


def _highest_offset(planned: Callable[[float], float]) -> float:
    """The offset (whole points within +-``_OFFSET_LIMIT``) with the highest planned mean.

    Up to there the planned mean increases with the offset; beyond it (targets near 100 plus
    a large offset) the logit-normal plan degenerates into plans near 0 and 1 and the mean
    falls again."""
    grid = [float(k) for k in range(int(-_OFFSET_LIMIT), int(_OFFSET_LIMIT) + 1)]
    return max(grid, key=planned)


def _solve(planned: Callable[[float], float], wanted: float, top: float) -> float:
    """The offset in [-``_OFFSET_LIMIT``, ``top``] whose planned mean is ``wanted``
    (bisection; the planned mean increases with the offset there, see ``_highest_offset``)."""
    lo, hi = -_OFFSET_LIMIT, top
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if planned(mid) < wanted else (lo, mid)
    return (lo + hi) / 2


def _next_offset(planned: Callable[[float], float], target: float, gap: float,
                 history: list[tuple[float, float]], top: float) -> float:
    """The next round's offset: re-solved with the last gap at first, then a secant step
    through the last two (offset, expected mean) points when they differ."""
    if len(history) >= _FIXED_POINT_ROUNDS:
        (o1, e1), (o2, e2) = history[-2], history[-1]
        if abs(e2 - e1) > 1e-6 and o1 != o2:
            step = (target - e2) * (o2 - o1) / (e2 - e1)
            step = min(max(step, -_MAX_SECANT_STEP), _MAX_SECANT_STEP)
            return min(max(o2 + step, -_OFFSET_LIMIT), top)
    return _solve(planned, target - gap, top)


def _reference(model: ErrorModel, n: int) -> tuple[list[Example], list[Any], LengthScale]:
    """The first ``n`` reference examples, prepared, and the length scale of all of them
    (cached per model class; examples are prepared only as far as needed)."""
    key = type(model).__qualname__
    if key not in _REFERENCE:
        _REFERENCE[key] = (model.reference(), [], LengthScale(model.reference_sizes()))
    examples, prepared, scale = _REFERENCE[key]
    prepared.extend(model.prepare(ex) for ex in examples[len(prepared):n])
    return examples[:n], prepared[:n], scale


def _choose_rules(model: ErrorModel, config: SimulatedTeacherConfig, seed: int,
                  prepared: Sequence[Any]) -> tuple[str, ...]:
    """Walk the seed's rule order, taking each rule that brings the mean systematic loss on
    the reference closer to ``systematic_share`` of the loss the target implies."""
    if config.systematic_rules is not None:
        return check_rules(model, config.systematic_rules)
    if config.systematic_share <= 0.0:
        return ()
    sample = prepared[:_RULE_SAMPLE]
    wanted = config.systematic_share * (100.0 - config.target_f1)
    chosen: tuple[str, ...] = ()
    loss = 0.0
    for rule in rule_order(model, seed):
        # a rule contradicting chosen ones may replace them
        kept = [n for n in chosen if not _clashes(model, n, [rule])]
        trial = tuple(n for n in model.rule_names if n in kept or n == rule)
        trial_loss = 100.0 * statistics.fmean(1.0 - model.systematic_score(p, trial)
                                              for p in sample)
        if abs(trial_loss - wanted) < abs(loss - wanted):
            chosen, loss = trial, trial_loss
    return chosen


def _score_minus_plan(task: Task, sim: Simulator, example: Example, prepared: Any) -> float:
    out = sim.run(example.id, prepared)
    if out.score_hint is not None:
        return 100.0 * (out.score_hint - out.planned)
    score = task.example_score(example, task.check(example.source, out.text))
    return 100.0 * (score - out.planned)


def _measure(task: Task, sim: Simulator, examples: Sequence[Example], prepared: Sequence[Any],
             config: SimulatedTeacherConfig, offset: float, rules: tuple[str, ...],
             rounds: int) -> tuple[Calibration, float]:
    """Score every reference answer as the task's checker and metric would (the error model
    vouches for undamaged answers; tests hold it to that).

    Returns:
        The calibration facts and the mean of (score - plan) in points.
    """
    scores, statuses, sys_loss, gap = [], [], 0.0, 0.0
    for ex, p in zip(examples, prepared):
        out = sim.run(ex.id, p)
        if out.score_hint is not None and out.status_hint is not None:
            score, status = out.score_hint, out.status_hint
        else:
            checked = task.check(ex.source, out.text)
            score, status = task.example_score(ex, checked), checked.status
        scores.append(100.0 * score)
        statuses.append(status)
        sys_loss += 100.0 * (1.0 - out.systematic_score)
        gap += scores[-1] - 100.0 * out.planned
    ranked = sorted(scores)
    half = len(ranked) // 2
    total_loss = sum(100.0 - s for s in scores)
    pct = 100.0 / len(scores)
    return Calibration(
        target=config.target_f1, offset=offset, rules=rules, expected=float("nan"),
        achieved=statistics.fmean(scores), std=statistics.pstdev(scores),
        good_half=statistics.fmean(ranked[half:]), bad_half=statistics.fmean(ranked[:half]),
        systematic_loss_share=min(1.0, sys_loss / total_loss) if total_loss else 0.0,
        valid_rate=pct * statuses.count(Status.VALID),
        repaired_rate=pct * statuses.count(Status.REPAIRED),
        invalid_rate=pct * statuses.count(Status.INVALID),
        n=len(scores), rounds=rounds,
    ), gap / len(scores)
