"""Student steps: the collaborative stages, the final students, vanilla KD and SFT.

Every step trains a *fresh* student (its own seed) on the current labels of the inputs it may
see. Invalid labels are never training targets; they are counted in the manifest. A stage
student then relabels the part it never saw (or its own, under ``mckd.relabel: self``); those
relabels are the next stage's labels. With ``mckd.mix_gold`` the gold examples join every
pseudolabel student's training pairs; the SFT baseline trains on them alone.

A student step killed mid-training resumes after its last finished epoch: the backend saves
its training state after every epoch to a file keyed by the step's input fingerprint, next to
the step's folder (which a rerun clears), and the file is deleted when the step finishes.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mckd.core.errors import DataError
from mckd.core.jsonl import write_jsonl
from mckd.core.records import Pseudolabel
from mckd.pipeline.context import (
    PARTITIONS,
    RELABELS,
    TEACHER_LABELS,
    RunContext,
    Step,
    StepOutput,
    gold_score,
    read_labels,
    status_counts,
)
from mckd.pipeline.student_support import heldout_arguments
from mckd.students import STUDENTS
from mckd.students.base import FidelityFn, StudentBackend
from mckd.tasks.base import Task

log = logging.getLogger(__name__)


def make_fidelity_fn(task: Task, fmt: str) -> FidelityFn:
    """fidelity(sources, references, outputs) -> mean task agreement x 100.

    References and outputs are strings in the student's format ``fmt``; both go through
    ``Task.check`` and each output is scored against its reference's canonical target.
    """

    @functools.lru_cache(maxsize=65536)
    def canonical(source: str, reference: str) -> str | None:
        return task.check(source, reference, fmt).target

    def fidelity(sources: Sequence[str], references: Sequence[str],
                 outputs: Sequence[str]) -> float:
        total = 0.0
        for source, reference, output in zip(sources, references, outputs, strict=True):
            ref = canonical(source, reference)
            if ref is not None:
                total += task.agreement(source, ref, task.check(source, output, fmt))
        return 100.0 * total / max(1, len(outputs))

    return fidelity


def current_labels(ctx: RunContext, step: Step) -> dict[str, dict[str, Any]]:
    """Labels of the unlabeled inputs as the step's dependencies left them."""
    sources = [ctx.plan[dep] for dep in step.deps if ctx.plan[dep].kind in ("teacher", "stage")]
    if sources[-1].kind == "teacher":
        rows = read_labels(ctx.path(TEACHER_LABELS))
        return {i: r for i, r in rows.items() if r.get("split") == "unlabeled"}
    labels: dict[str, dict[str, Any]] = {}
    for stage_step in sources:
        labels.update(read_labels(ctx.path(f"{stage_step.out}/{RELABELS}")))
    return labels


def train_student(ctx: RunContext, step: Step, fp: str, ids: Sequence[str],
                  labels: dict[str, dict[str, Any]]) -> tuple[StudentBackend, dict[str, Any]]:
    """Train a fresh student for ``step`` on the valid labels of ``ids`` (plus the gold examples
    under ``mckd.mix_gold``); save it in ``step.out``.

    Returns:
        (the backend, to load the student; counts + training summary for the manifest, and
        ``state``: the epoch-state file, for ``StepOutput.cleanup``).

    Raises:
        DataError: every label of ``ids`` is invalid, so there is nothing to train on.
    """
    fmt = ctx.target_format
    pairs, excluded = [], 0
    for id_ in ids:
        row = labels[id_]
        if row["target"] is None:
            excluded += 1
            continue
        pairs.append((row["source"], ctx.task.convert(row["source"], row["target"], fmt)))
    if not pairs:
        raise DataError(f"step {step.name}: all {len(ids)} training labels are invalid, "
                        "nothing to train on; check the teacher's labels (teacher/labels.jsonl)")
    counts = {"train_pairs": len(pairs), "excluded_invalid": excluded}
    if ctx.config.mckd.mix_gold:
        gold = gold_pairs(ctx)
        pairs += gold
        counts.update(train_pairs=len(pairs), gold_pairs=len(gold))
    log.info("%s: training a fresh student on %d pairs (%d invalid labels excluded), seed %d",
             step.name, len(pairs), excluded, step.seed)
    return train_on_pairs(ctx, step, fp, pairs, counts)


def gold_pairs(ctx: RunContext) -> list[tuple[str, str]]:
    """(source, gold target in the student's format) of every labeled (gold) example."""
    fmt = ctx.target_format
    return [(ex.source, ctx.task.gold_target(ex, fmt)) for ex in ctx.data.splits["labeled"]]


def epoch_state_path(ctx: RunContext, step: Step, fp: str) -> Path:
    """Where student step ``step`` with input fingerprint ``fp`` keeps its training state
    between epochs (``stage_1/A.partial-<fp>.pt``, beside the folder a rerun clears)."""
    return ctx.run_dir / f"{step.out}.partial-{fp[:16]}.pt"


def remove_epoch_states(run_dir: Path, step: Step, keep: Path | None = None) -> None:
    """Delete the epoch-state files of ``step`` (other than ``keep``): made under other inputs,
    or for a step forced to start over."""
    if step.out is None:
        return
    target = run_dir / step.out
    for path in target.parent.glob(f"{target.name}.partial-*"):
        if path != keep:
            path.unlink(missing_ok=True)


def train_on_pairs(ctx: RunContext, step: Step, fp: str, pairs: list[tuple[str, str]],
                   counts: dict[str, Any]) -> tuple[StudentBackend, dict[str, Any]]:
    """Train a fresh student for ``step`` on ``pairs``; see :func:`train_student`."""
    fmt = ctx.target_format
    dev = None
    if ctx.data.dev:
        dev = [(ex.source, ctx.task.gold_target(ex, fmt)) for ex in ctx.data.dev]
    backend = STUDENTS.get(ctx.config.student.backend)(ctx.config.student, task=ctx.task)
    if ctx.leader is not None:  # under a launcher the other processes join this training
        ctx.leader.post_training(step.name, ctx.path(step.name), pairs, step.seed)
    state = epoch_state_path(ctx, step, fp)
    remove_epoch_states(ctx.run_dir, step, keep=state)
    summary = backend.train(pairs, ctx.path(step.name), seed=step.seed,
                            constraint=ctx.constraint(),
                            fidelity_fn=make_fidelity_fn(ctx.task, fmt), dev=dev,
                            **heldout_arguments(ctx, step), state_path=state)
    return backend, {"counts": counts, "summary": summary, "state": state}


def train_and_relabel(ctx: RunContext, step: Step, fp: str) -> StepOutput:
    """Train a stage student on its parts (``step.params``), relabel the part it never saw."""
    parts = json.loads(ctx.path(PARTITIONS).read_text(encoding="utf-8"))["parts"]
    labels = current_labels(ctx, step)
    train_ids = [i for p in step.params["trains_on"] for i in parts[p]]
    relabel_ids = parts[step.params["relabels"]]
    backend, trained = train_student(ctx, step, fp, _in_data_order(ctx, train_ids), labels)
    student = backend.load(ctx.path(step.name))
    sources = [labels[i]["source"] for i in relabel_ids]
    outputs = student.generate(sources, constraint=ctx.constraint(),
                               progress_desc=f"{step.name} relabels {step.params['relabels']}")
    rows, relabel_counts = check_relabels(ctx, step.name, relabel_ids, outputs, labels,
                                          [{"stage": step.stage}] * len(outputs))
    write_jsonl(ctx.path(f"{step.name}/{RELABELS}"), rows)
    counts = {**trained["counts"], **relabel_counts}
    log.info("%s: relabeled part %s: %s", step.name, step.params["relabels"], counts)
    return StepOutput([step.name], counts=counts,
                      info={**step.params, "training": trained["summary"]},
                      cleanup=[trained["state"]])


def check_relabels(ctx: RunContext, origin: str, ids: Sequence[str], texts: Sequence[str],
                   previous: dict[str, dict[str, Any]], metas: Sequence[dict[str, Any]]
                   ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Check a student's relabels of ``ids`` against the labels they replace.

    Returns:
        (a ``Pseudolabel`` row per id, for ``relabels.jsonl``; counts: relabeled, valid /
        repaired / invalid, changed (target differs from ``previous``), agreement with the
        previous labels and with the teacher's, as percentages of the task's agreement score).
    """
    teacher = read_labels(ctx.path(TEACHER_LABELS))
    rows, changed, agreement, with_teacher, scored = [], 0, [], [], []
    for id_, text, meta in zip(ids, texts, metas, strict=True):
        source, before = previous[id_]["source"], previous[id_]["target"]
        checked = ctx.task.check(source, text, ctx.target_format)
        scored.append((id_, checked))
        changed += checked.target != before
        if before is not None:
            agreement.append(ctx.task.agreement(source, before, checked))
        if teacher[id_]["target"] is not None:
            with_teacher.append(ctx.task.agreement(source, teacher[id_]["target"], checked))
        rows.append(Pseudolabel(id=id_, source=source, raw=checked.raw, target=checked.target,
                                status=checked.status, reason=checked.reason,
                                origin=origin, meta=meta).to_dict())
    counts = {"relabeled": len(rows), **status_counts(rows), "changed": changed,
              "agreement_with_previous": percent_mean(agreement),
              "agreement_with_teacher": percent_mean(with_teacher)}
    quality = gold_score(ctx, scored)
    if quality is not None:
        counts["gold_score"] = quality
    return rows, counts


def percent_mean(values: Sequence[float]) -> float:
    """Mean of scores in [0, 1] as a percentage, 2 decimals (0 for no values)."""
    return round(100 * sum(values) / max(1, len(values)), 2)


def train_on_gold(ctx: RunContext, step: Step, fp: str) -> StepOutput:
    """The SFT baseline: a fresh student trained on the gold examples only."""
    pairs = gold_pairs(ctx)
    log.info("%s: training a fresh student on the %d gold examples, seed %d", step.name,
             len(pairs), step.seed)
    _, trained = train_on_pairs(ctx, step, fp, pairs, {"train_pairs": len(pairs)})
    return StepOutput([step.name], counts=trained["counts"],
                      info={"labels": f"gold ({ctx.config.data.labeled})",
                            "training": trained["summary"]}, cleanup=[trained["state"]])


def train_on_all_labels(ctx: RunContext, step: Step, fp: str) -> StepOutput:
    """Train a fresh student on every unlabeled input's current label (a final student or
    vanilla KD)."""
    labels = current_labels(ctx, step)
    ids = [ex.id for ex in ctx.data.unlabeled]
    _, trained = train_student(ctx, step, fp, ids, labels)
    source = "teacher labels" if step.deps == ("teacher",) else f"relabels of {', '.join(step.deps)}"
    return StepOutput([step.name], counts=trained["counts"],
                      info={"labels": source, "training": trained["summary"]},
                      cleanup=[trained["state"]])


def _in_data_order(ctx: RunContext, ids: Sequence[str]) -> list[str]:
    wanted = set(ids)
    return [ex.id for ex in ctx.data.unlabeled if ex.id in wanted]
