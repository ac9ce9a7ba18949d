"""docs/adding-a-task.md: its worked example runs as written and makes a usable task."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from mckd.core.errors import DataError
from mckd.core.records import Status
from mckd.tasks import TASKS, get_task

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "adding-a-task.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_worked_example_runs_registers_and_loads(tmp_path, monkeypatch):
    monkeypatch.setattr(TASKS, "_entries", dict(TASKS._entries))  # undone after the test
    namespace: dict = {}
    for block in _blocks("python"):
        exec(compile(block, str(GUIDE), "exec"), namespace)  # noqa: S102 - our own docs
    config = yaml.safe_load(_blocks("yaml")[0])
    task = get_task(config["task"]["name"], **config["task"]["options"])
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"id": "a", "source": "rain today ?", "gold": "GetWeather"}) + "\n")
    [example] = task.load(str(path))
    assert task.check(example.source, task.gold_target(example)).status == Status.VALID
    path.write_text(json.dumps({"id": "a", "source": "hi", "gold": "Greet"}) + "\n")
    with pytest.raises(DataError, match="gold 'Greet' is not one of the labels") as info:
        task.load(str(path))
    assert str(info.value).startswith(f"{path}:1: ")
