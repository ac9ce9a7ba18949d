"""Teacher backends: turn inputs into raw completions. Registered by short name, imported lazily."""

from __future__ import annotations

from mckd.core.registry import Registry

TEACHERS = Registry("teacher backend")
TEACHERS.register("simulated", "mckd.teachers.simulated:SimulatedTeacher")
TEACHERS.register("openai", "mckd.teachers.openai_backend:OpenAITeacher")
TEACHERS.register("transformers", "mckd.teachers.transformers_backend:TransformersTeacher")
TEACHERS.register("replay", "mckd.teachers.replay:ReplayTeacher")
