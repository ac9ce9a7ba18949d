"""Which function runs each kind of step, and the run context rebuilt from a run directory.

Shared by the in-process runner (``mckd.pipeline.run``) and the child processes of
``mckd.pipeline.parallel``, so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mckd.config.loading import load_config
from mckd.pipeline.context import RunContext, Step, StepOutput
from mckd.pipeline.data import load_run_data
from mckd.pipeline.evaluate import run_evaluate_step
from mckd.pipeline.labeling import run_teacher_step
from mckd.pipeline.manifest import Manifest
from mckd.pipeline.partitions import run_partitions_step
from mckd.pipeline.selfdistill import run_kd_sd_filter_step
from mckd.pipeline.steps import build_plan
from mckd.pipeline.training import run_final_step, run_sft_step, run_stage_step
from mckd.tasks import get_task

RUNNERS: dict[str, Callable[[RunContext, Step, str], StepOutput]] = {
    "teacher": run_teacher_step,
    "partitions": run_partitions_step,
    "stage": run_stage_step,
    "final": run_final_step,
    "vanilla_kd": run_final_step,
    "kd_sd_filter": run_kd_sd_filter_step,
    "sft": run_sft_step,
    "evaluate": run_evaluate_step,
}

#: step kinds that train a student (and may run in a child process)
STUDENT_KINDS = frozenset({"stage", "final", "vanilla_kd", "kd_sd_filter", "sft"})


def context_from_run_dir(run_dir: Path, step_name: str, *,
                         threads: int | None = None) -> tuple[RunContext, Step]:
    """The run context of ``run_dir`` (from its saved ``config.yaml``) and its step
    ``step_name``; ``threads`` overrides ``student.threads``."""
    config = load_config(run_dir / "config.yaml")
    if threads is not None:
        student = config.student.model_copy(update={"threads": threads})
        config = config.model_copy(update={"student": student})
    task = get_task(config.task.name, **config.task.options)
    data = load_run_data(config, task)
    plan = {s.name: s for s in build_plan(config, data)}
    ctx = RunContext(config=config, run_dir=run_dir, task=task, data=data,
                     manifest=Manifest(run_dir, config.name), plan=plan)
    return ctx, plan[step_name]
