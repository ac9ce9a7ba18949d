"""Shared data of the simulated-teacher tests (imported by them; not a test module)."""

from __future__ import annotations

from pathlib import Path

from mckd.core.records import Example
from mckd.tasks import get_task

FIXTURE = Path(__file__).parents[1] / "fixtures" / "simulated_teacher" / "craft_v4_sample.jsonl"
#: the constituency task (stateless, so one instance serves every test)
TASK = get_task("constituency")


def load_examples() -> list[Example]:
    """200 CRAFT v4 examples with gold, unseen by the teacher's reference sample."""
    return TASK.load(str(FIXTURE))


def demo_task_and_examples(task_name: str, split: str = "test"):
    """A task loaded the way a run loads it (inventory from dataset.json) and the examples of
    one split of its shipped demo; the test split is unseen by the error model's reference."""
    from mckd.config.schema import builtin_data_root

    dataset = {"slots": "snips_demo", "top": "top_demo"}[task_name]
    task = get_task(task_name)
    return task, task.load(str(builtin_data_root() / dataset / f"{split}.jsonl"))
