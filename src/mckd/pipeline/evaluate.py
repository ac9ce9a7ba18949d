"""The ``evaluate`` step: every method labels the test inputs and is scored against gold.

The teacher's test labels come from the teacher step; each student (the final students, the
baselines, and the stage students when ``mckd.eval_stages``) generates them now. Per method,
``predictions.jsonl`` (with each example's score) and ``metrics.json`` go into its folder;
``metrics.json`` at the run root gathers every method, each step's time and memory, and says
whether the teacher was a simulation. A student whose checkpoint and evaluation settings are
unchanged since its predictions were written is not asked again (adding a baseline to a
finished run only generates for the new student).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from mckd.core.hashing import fingerprint
from mckd.core.jsonl import read_jsonl, write_json, write_jsonl
from mckd.core.records import Checked
from mckd.pipeline.context import (
    METRICS,
    PREDICTIONS,
    TEACHER_LABELS,
    RunContext,
    Step,
    StepOutput,
    checked_of,
    read_labels,
)
from mckd.pipeline.runlog import peak_gpu_mb
from mckd.students import STUDENTS
from mckd.students.runtime import peak_rss_mb

log = logging.getLogger(__name__)

SIMULATION_NOTE = ("The teacher is a simulation (gold labels corrupted to a target score), not a "
                   "language model; its row shows the labels the students learned from.")


def method_of(ctx: RunContext, step: Step) -> tuple[str, str]:
    """(metrics key, display label) of the method a step's output stands for."""
    K, cfg = ctx.config.mckd.stages, ctx.config.mckd
    gold = " + gold" if cfg.mix_gold else ""
    variant = (" (self-partition)" if cfg.relabel == "self" else "") + gold
    if step.kind == "final" and step.name != "final":  # final_<j>: the mckd.sweep's j stages
        return f"mckd_{step.stage}", f"{step.stage}-stage MCKD{variant}"
    if step.kind == "final":
        return ("vanilla_kd", f"vanilla KD{gold}") if K == 1 else ("mckd", f"{K}-stage MCKD{variant}")
    if step.kind == "stage":
        return step.name, f"stage {step.stage} student {step.part}"
    return {"teacher": ("teacher", "teacher"), "sft": ("sft", "SFT (gold only)"),
            "vanilla_kd": ("vanilla_kd", f"vanilla KD{gold}"),
            "kd_sd_filter": ("kd_sd_filter", f"KD + SD w/ filter{gold}")}[step.kind]


def evaluate_on_test(ctx: RunContext, step: Step, fp: str) -> StepOutput:
    """Score the teacher and every student step in ``step.deps`` on the test split."""
    started = time.perf_counter()
    gold = ctx.data.test
    methods: dict[str, dict[str, Any]] = {}
    artifacts = []
    for dep in step.deps:
        key, label = method_of(ctx, ctx.plan[dep])
        t0 = time.perf_counter()
        scored = _scored_inputs(ctx, step, dep)
        reused = _reusable(ctx, dep, scored)
        if dep == "teacher":
            rows, generate_s = _teacher_rows(ctx), 0.0
        elif reused is not None:
            rows, generate_s = reused
        else:
            rows = _student_rows(ctx, dep)
            generate_s = time.perf_counter() - t0
        checked = [checked_of(r) for r in rows]
        metrics = {"label": label, "step": dep, **ctx.task.score(gold, checked),
                   "pipeline_s": round(_pipeline_seconds(ctx, dep), 2),
                   "test_generate_s": round(generate_s, 2), "scored_inputs": scored}
        for row, ex, c in zip(rows, gold, checked, strict=True):
            row["example_score"] = round(ctx.task.example_score(ex, c), 6)
        write_jsonl(ctx.path(f"{dep}/{PREDICTIONS}"), rows)
        write_json(ctx.path(f"{dep}/{METRICS}"), metrics)
        artifacts += [f"{dep}/{PREDICTIONS}", f"{dep}/{METRICS}"]
        methods[key] = metrics
        log.info("%s on test: %s %.2f (valid %s, repaired %s, invalid %s)%s", label,
                 ctx.task.headline_metric(), metrics.get(ctx.task.headline_metric(), float("nan")),
                 metrics.get("valid"), metrics.get("repaired"), metrics.get("invalid"),
                 " (predictions reused)" if reused is not None else "")
    write_json(ctx.path(METRICS), _summary(ctx, methods, time.perf_counter() - started))
    return StepOutput([*artifacts, METRICS], counts={"methods": len(methods), "test": len(gold)})


def _scored_inputs(ctx: RunContext, step: Step, dep: str) -> str:
    """Fingerprint of what a method's test predictions depend on: its step's output and the
    evaluation settings (task, decoding, test split)."""
    entry = ctx.manifest.done(dep) or {}
    return fingerprint({"output": entry.get("output_fingerprint"), "evaluate": step.config})


def _reusable(ctx: RunContext, dep: str, scored: str) -> tuple[list[dict[str, Any]], float] | None:
    """(prediction rows, generation seconds) written earlier for the same inputs, else None."""
    metrics_path, preds_path = ctx.path(f"{dep}/{METRICS}"), ctx.path(f"{dep}/{PREDICTIONS}")
    if dep == "teacher" or not metrics_path.is_file() or not preds_path.is_file():
        return None
    old = json.loads(metrics_path.read_text(encoding="utf-8"))
    if old.get("scored_inputs") != scored:
        return None
    rows = list(read_jsonl(preds_path))
    if [r.get("id") for r in rows] != [ex.id for ex in ctx.data.test]:
        return None
    return rows, float(old.get("test_generate_s", 0.0))


def _teacher_rows(ctx: RunContext) -> list[dict[str, Any]]:
    labels = read_labels(ctx.path(TEACHER_LABELS))
    return [_prediction(ex.id, ex.source, checked_of(labels[ex.id])) for ex in ctx.data.test]


def _student_rows(ctx: RunContext, name: str) -> list[dict[str, Any]]:
    backend = STUDENTS.get(ctx.config.student.backend)(ctx.config.student, task=ctx.task)
    student = backend.load(ctx.path(name))
    sources = [ex.source for ex in ctx.data.test]
    outputs = student.generate(sources, constraint=ctx.constraint(),
                               progress_desc=f"{name} on test")
    fmt = ctx.target_format
    return [_prediction(ex.id, ex.source, ctx.task.check(ex.source, text, fmt))
            for ex, text in zip(ctx.data.test, outputs, strict=True)]


def _prediction(id_: str, source: str, checked: Checked) -> dict[str, Any]:
    return {"id": id_, "source": source, **checked.to_dict()}


def _pipeline_seconds(ctx: RunContext, name: str) -> float:
    """Seconds of ``name`` and every step it depends on, transitively (as the manifest says)."""
    steps, seen, todo = ctx.manifest.steps, set(), [name]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo += steps.get(current, {}).get("deps", [])
    return sum(steps.get(s, {}).get("seconds", 0.0) for s in seen)


def _summary(ctx: RunContext, methods: dict[str, Any], evaluate_s: float) -> dict[str, Any]:
    teacher_info = (ctx.manifest.done("teacher") or {}).get("info", {}).get("teacher", {})
    simulation = bool(teacher_info.get("simulation"))
    steps = {name: {"seconds": e.get("seconds"), "peak_rss_mb": e.get("peak_rss_mb"),
                    "peak_gpu_mb": e.get("peak_gpu_mb")}
             for name, e in ctx.manifest.steps.items() if e.get("status") == "done"}
    steps["evaluate"] = {"seconds": round(evaluate_s, 3), "peak_rss_mb": peak_rss_mb(),
                         "peak_gpu_mb": peak_gpu_mb()}
    rss = [s["peak_rss_mb"] for s in steps.values() if s.get("peak_rss_mb") is not None]
    return {
        "run": ctx.config.name,
        "task": ctx.task.name,
        "headline_metric": ctx.task.headline_metric(),
        "stages": ctx.config.mckd.stages,
        "partitions": ctx.config.mckd.partitions,
        "relabel": ctx.config.mckd.relabel,
        "mix_gold": ctx.config.mckd.mix_gold,
        "seed": ctx.config.seed,
        "test_examples": len(ctx.data.test),
        "teacher": teacher_info,
        "teacher_is_simulation": simulation,
        "notes": [SIMULATION_NOTE] if simulation else [],
        "methods": methods,
        "steps": steps,
        "peak_rss_mb": max(rss) if rss else None,
    }
