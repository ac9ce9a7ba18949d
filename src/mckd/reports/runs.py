"""Reading what a finished run directory says about itself."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mckd.core.errors import MckdError

#: display order of methods; stage students go between vanilla KD and the final MCKD student
METHOD_ORDER = ("teacher", "sft", "vanilla_kd", "kd_sd_filter")


@dataclass(frozen=True)
class RunSummary:
    """The evaluation of one run, as written by its ``evaluate`` step."""

    path: Path
    name: str
    task: str
    stages: int
    headline: str
    methods: dict[str, dict[str, Any]]
    teacher: dict[str, Any]
    notes: list[str]
    steps: dict[str, dict[str, Any]]
    peak_rss_mb: float | None

    def ordered_methods(self) -> list[tuple[str, dict[str, Any]]]:
        """Methods in table order: teacher, baselines, stage students by stage, final MCKD."""

        def rank(key: str) -> tuple[int, str]:
            if key in METHOD_ORDER:
                return METHOD_ORDER.index(key), key
            if key.startswith("stage_"):
                return len(METHOD_ORDER), key
            return len(METHOD_ORDER) + 1, key

        return sorted(self.methods.items(), key=lambda kv: rank(kv[0]))


def load_run(run_dir: str | Path) -> RunSummary:
    """Read ``metrics.json`` of a finished run.

    Raises:
        MckdError: the folder is not a run directory or its evaluation has not finished.
    """
    path = Path(run_dir)
    metrics_path = path / "metrics.json"
    if not metrics_path.exists():
        hint = ("it has a manifest.json, so the run has not finished: rerun `mckd run` on its config"
                if (path / "manifest.json").exists() else "is it a run directory (runs/<name>)?")
        raise MckdError(f"{path}: no metrics.json; {hint}")
    data = json.loads(metrics_path.read_text(encoding="utf-8"))
    return RunSummary(
        path=path,
        name=str(data.get("run") or path.name),
        task=str(data.get("task", "")),
        stages=int(data.get("stages", 0)),
        headline=str(data.get("headline_metric", "f1")),
        methods=dict(data.get("methods", {})),
        teacher=dict(data.get("teacher", {})),
        notes=list(data.get("notes", [])),
        steps=dict(data.get("steps", {})),
        peak_rss_mb=data.get("peak_rss_mb"),
    )


def stage_of(key: str, run: RunSummary) -> float | None:
    """Where a method sits on the stage axis: teacher 0, vanilla KD 1, stage k students k,
    the final MCKD student K; None for methods off that axis."""
    if key == "teacher":
        return 0
    if key == "vanilla_kd":
        return 1
    if key == "mckd":
        return run.stages
    if key.startswith("stage_"):
        return int(key.removeprefix("stage_").split("/")[0])
    return None
