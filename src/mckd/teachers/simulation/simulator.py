"""One calibrated simulated teacher, applied to one example at a time."""

from __future__ import annotations

import random
from statistics import NormalDist
from typing import Any

from mckd.config.teacher import SimulatedTeacherConfig
from mckd.teachers.simulation.base import (
    ErrorModel,
    LengthScale,
    Plan,
    Simulated,
    plan_score,
    streams,
)

_NORMAL = NormalDist()


class Simulator:
    """Plans and produces answers; the answer for an example depends only on (seed, example
    id, gold, config, calibration)."""

    def __init__(self, model: ErrorModel, config: SimulatedTeacherConfig, seed: int,
                 rules: tuple[str, ...], offset: float, scale: LengthScale):
        self.model, self.config, self.seed = model, config, seed
        self.rules, self.offset, self.scale = rules, offset, scale

    def plan(self, example_id: str, prepared: Any) -> Plan:
        """The example's plan (planned score from its own random stream and its length)."""
        return self._plan(streams(self.seed, example_id)[0], prepared)

    def _plan(self, plan_rng: random.Random, prepared: Any) -> Plan:
        noise = _NORMAL.inv_cdf(min(max(plan_rng.random(), 1e-9), 1 - 1e-9))
        keep_u = plan_rng.random()
        length_z = self.scale.z(self.model.size(prepared))
        score = plan_score(self.config, self.offset, length_z, noise)
        return Plan(score, keep_u, self.rules, self.config.systematic_share < 1.0)

    def run(self, example_id: str, prepared: Any) -> Simulated:
        """Simulate the teacher's answer for one prepared example."""
        plan_rng, edits, surface = streams(self.seed, example_id)
        return self.model.simulate(prepared, self._plan(plan_rng, prepared), edits, surface)
