"""The ``kd_sd_filter`` step: the paper's "KD + self-distillation with filter" baseline.

The vanilla KD student (trained on every teacher label) relabels every unlabeled input; the
``baselines.kd_sd_keep`` fraction of inputs (paper: half) whose outputs have the highest mean
token log-probability is kept (invalid outputs never are); a fresh student trains on the kept
relabels. Every relabel, its score and whether it was kept go to
``kd_sd_filter/relabels.jsonl``; the manifest counts how many changed against the teacher.
"""

from __future__ import annotations

import logging
from typing import Any

from mckd.core.jsonl import write_jsonl
from mckd.pipeline.context import (
    RELABELS,
    TEACHER_LABELS,
    RunContext,
    Step,
    StepOutput,
    read_labels,
)
from mckd.pipeline.student_support import generate_scored
from mckd.pipeline.training import check_relabels, train_student
from mckd.students import STUDENTS

log = logging.getLogger(__name__)


def select_confident(rows: list[dict[str, Any]], keep: float) -> list[str]:
    """Ids of the ``round(keep * len(rows))`` valid rows with the highest ``mean_logprob``.

    Ties keep the earlier row. Fewer are returned when fewer rows are valid.
    """
    n_keep = max(1, round(keep * len(rows)))
    valid = [(i, r) for i, r in enumerate(rows) if r["target"] is not None]
    ranked = sorted(valid, key=lambda ir: (-ir[1]["meta"]["mean_logprob"], ir[0]))
    return [r["id"] for _, r in ranked[:n_keep]]


def self_distill_with_filter(ctx: RunContext, step: Step, fp: str) -> StepOutput:
    """Relabel with the vanilla KD student, keep the most confident part, train on it."""
    kd_step = step.deps[0]
    backend = STUDENTS.get(ctx.config.student.backend)(ctx.config.student, task=ctx.task)
    kd_student = backend.load(ctx.path(kd_step))
    examples = ctx.data.unlabeled
    outputs = generate_scored(kd_student, [ex.source for ex in examples],
                              constraint=ctx.constraint(),
                              progress_desc=f"{kd_step} relabels every input")
    teacher = read_labels(ctx.path(TEACHER_LABELS))
    rows, relabel_counts = check_relabels(
        ctx, kd_step, [ex.id for ex in examples], [out.text for out in outputs], teacher,
        [{"mean_logprob": float(out.mean_logprob)} for out in outputs])
    kept = select_confident(rows, step.params["keep"])
    kept_set = set(kept)
    for row in rows:
        row["kept"] = row["id"] in kept_set
    by_id = {r["id"]: r for r in rows}
    _, trained = train_student(ctx, step, fp, [ex.id for ex in examples if ex.id in kept_set], by_id)
    write_jsonl(ctx.path(f"{step.name}/{RELABELS}"), rows)
    threshold = min(by_id[i]["meta"]["mean_logprob"] for i in kept)
    counts = {**trained["counts"], **relabel_counts, "kept": len(kept),
              "kept_min_mean_logprob": round(threshold, 4)}
    log.info("%s: %s", step.name, counts)
    return StepOutput([step.name], counts=counts,
                      info={"labels": f"relabels of {kd_step}, filtered",
                            "keep": step.params["keep"], "training": trained["summary"]},
                      cleanup=[trained["state"]])
