"""The machinery behind the ``simulated`` teacher: per-task error models and calibration.

An *error model* knows how one task's gold labels go wrong the way an LLM's do (for
constituency: wrong attachments, flattened and spurious brackets, changed words, unbalanced or
truncated output; for slot filling: wrong slot types, shifted boundaries, missed and spurious
slots; for TOP: wrong intents and slots, flattened nested intents, broken brackets). It is
registered here by task name, so a new task means a new module and one ``register`` line.
"""

from __future__ import annotations

from mckd.core.registry import Registry

ERROR_MODELS = Registry("simulated-teacher error model (task)")
ERROR_MODELS.register(
    "constituency", "mckd.teachers.simulation.constituency.model:ConstituencyErrorModel"
)
ERROR_MODELS.register("slots", "mckd.teachers.simulation.slots.model:SlotsErrorModel")
ERROR_MODELS.register("top", "mckd.teachers.simulation.top.model:TopErrorModel")
