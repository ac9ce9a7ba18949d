"""The slot-filling and TOP example configs validate and point at their shipped datasets."""

from __future__ import annotations

from pathlib import Path

import pytest

from mckd.config.loading import load_config
from mckd.tasks import get_task

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name, task, fmt", [("snips-demo", "slots", "compact"),
                                             ("top-demo", "top", "words")])
def test_example_config_validates(name, task, fmt):
    config = load_config(EXAMPLES / f"{name}.yaml")
    assert config.task.name == task and config.student.target_format == fmt
    split = config.data.split_file(config.data.test)
    loaded = get_task(task)
    assert loaded.load(str(split)) and loaded.constraint(fmt) is not None
