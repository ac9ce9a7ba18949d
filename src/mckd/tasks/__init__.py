"""Task families. A task reads its data, linearises gold, checks/repairs generated strings and
scores predictions. It knows nothing of LLMs or students.

Tasks are registered by short name and imported lazily: ``get_task("constituency")``.
"""

from __future__ import annotations

from mckd.core.registry import Registry

TASKS = Registry("task")
TASKS.register("constituency", "mckd.tasks.constituency.task:ConstituencyTask")
TASKS.register("slots", "mckd.tasks.slots.task:SlotFillingTask")
TASKS.register("top", "mckd.tasks.top.task:TopTask")


def get_task(name: str, **options):  # -> Task
    """Instantiate the task registered as ``name``."""
    return TASKS.get(name)(**options)
