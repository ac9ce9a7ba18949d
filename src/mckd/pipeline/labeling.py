"""The ``teacher`` step: the teacher labels every unlabeled and test input.

Each completion is appended to a partial file the moment it arrives (one JSON line, flushed),
so a run killed mid-labeling loses nothing: the rerun requests only the inputs that file lacks.
The partial file is keyed by the step's input fingerprint, so completions made under another
config are never mixed in. When every input has a completion, each is passed through
``Task.check`` and ``teacher/labels.jsonl`` is written atomically.
"""

from __future__ import annotations

import inspect
import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from mckd.core.errors import RecoverableError
from mckd.core.jsonl import write_jsonl
from mckd.core.records import Checked, Completion, Example, Pseudolabel, Status
from mckd.pipeline.context import (
    TEACHER_LABELS,
    RunContext,
    Step,
    StepOutput,
    checked_of,
    gold_score,
    status_counts,
)
from mckd.teachers import TEACHERS
from mckd.teachers.base import Teacher, brief

log = logging.getLogger(__name__)

#: finish reasons of completions that carry no answer (counted per split in the manifest)
NO_ANSWER = ("error", "missing")


def partial_path(run_dir: Path, fp: str) -> Path:
    """Where completions of the teacher step with input fingerprint ``fp`` accumulate."""
    return run_dir / "teacher" / f"completions.partial-{fp[:16]}.jsonl"


def build_teacher(ctx: RunContext, seed: int) -> Teacher:
    """The configured teacher backend, given the labeled split as demonstrations if it takes
    them (a ``demos`` argument: LLM teachers do, the simulation does not)."""
    cfg = ctx.config.teacher
    cls = TEACHERS.get(cfg.backend)
    kwargs: dict[str, Any] = {"seed": seed}
    if "demos" in inspect.signature(cls).parameters:
        kwargs["demos"] = ctx.data.splits["labeled"]
    return cls(ctx.task, cfg.backend_options(), **kwargs)


def read_partial(path: Path) -> dict[str, dict[str, Any]]:
    """Completions saved so far, by id; a line cut off by a kill is dropped (and re-requested).

    The file is rewritten with the good lines only, so appending continues on a clean line.
    """
    if not path.exists():
        return {}
    done: dict[str, dict[str, Any]] = {}
    bad = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            bad += 1
            continue
        if isinstance(row, dict) and isinstance(row.get("id"), str):
            done[row["id"]] = row
    if bad:
        log.warning("%s: dropped %d incomplete line(s) left by an interrupted run; "
                    "those inputs are requested again", path, bad)
    write_jsonl(path, done.values())
    return done


class _Appender:
    """Appends each new completion to the partial file (thread-safe, flushed per line)."""

    def __init__(self, path: Path, done: dict[str, dict[str, Any]], wanted: set[str], bar: Any):
        self.done, self.wanted, self.bar = done, wanted, bar
        self.lock = threading.Lock()
        self.fh = path.open("a", encoding="utf-8")

    def __call__(self, completion: Completion) -> None:
        with self.lock:
            if completion.id in self.done:
                return
            if completion.id not in self.wanted:
                log.warning("teacher returned a completion for unknown id %r; ignored",
                            completion.id)
                return
            row = completion.to_dict()
            self.fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            self.fh.flush()
            self.done[completion.id] = row
            self.bar.update(1)

    def close(self) -> None:
        self.fh.close()


def label_row(task_check: Any, example: Example, split: str, completion: dict[str, Any],
              origin: str) -> dict[str, Any]:
    """One line of ``teacher/labels.jsonl``: raw text, checked target, status, reason, usage.

    A completion that carries no answer (finish_reason ``error``: the server refused it;
    ``missing``: a replay file has no label for the input) is invalid with its own reason.
    """
    checked = task_check(example.source, completion.get("text", ""))
    teacher_meta = completion.get("meta") or {}
    meta = {"finish_reason": completion.get("finish_reason", ""), "teacher": teacher_meta}
    if meta["finish_reason"] in NO_ANSWER:
        reason = str(teacher_meta.get("error") or checked.reason or "no answer")
        checked = Checked(raw=checked.raw, target=None, status=Status.INVALID, reason=reason)
    label = Pseudolabel(id=example.id, source=example.source, raw=checked.raw,
                        target=checked.target, status=checked.status, reason=checked.reason,
                        origin=origin, meta=meta)
    return {**label.to_dict(), "split": split, "usage": completion.get("usage") or {}}


def label_with_teacher(ctx: RunContext, step: Step, fp: str) -> StepOutput:
    """Label unlabeled + test inputs with the teacher; write ``teacher/labels.jsonl``."""
    inputs = [(ex, "unlabeled") for ex in ctx.data.unlabeled] + [(ex, "test") for ex in ctx.data.test]
    partial = partial_path(ctx.run_dir, fp)
    partial.parent.mkdir(parents=True, exist_ok=True)
    done = read_partial(partial)
    todo = [ex for ex, _ in inputs if ex.id not in done]
    teacher = build_teacher(ctx, step.seed)
    log.info("teacher %s: %d inputs, %d already labelled, %d to request",
             brief(teacher.describe()), len(inputs), len(inputs) - len(todo), len(todo))
    if todo:
        _request(teacher, todo, done, partial, total=len(inputs))
    missing = [ex.id for ex, _ in inputs if ex.id not in done]
    if missing:
        raise RecoverableError(f"the teacher returned no completion for {len(missing)} inputs "
                               f"(e.g. {missing[0]!r}); rerun to request them again")
    fmt = ctx.task.target_formats[0]
    origin = f"teacher:{ctx.config.teacher.backend}"
    rows = [label_row(lambda s, t: ctx.task.check(s, t, fmt), ex, split, done[ex.id], origin)
            for ex, split in inputs]
    write_jsonl(ctx.path(TEACHER_LABELS), rows)
    counts = _counts(rows)
    quality = gold_score(ctx, [(r["id"], checked_of(r)) for r in rows if r["split"] == "unlabeled"])
    if quality is not None:  # offline benchmarks only: how good the labels students learn are
        counts["unlabeled"]["gold_score"] = quality
    info = {"teacher": teacher.describe(), "demonstrations": _demo_info(ctx)}
    return StepOutput([TEACHER_LABELS], counts=counts, info=info, cleanup=[partial])


def _request(teacher: Teacher, todo: Sequence[Example], done: dict[str, dict[str, Any]],
             partial: Path, total: int) -> None:
    bar = tqdm(total=total, initial=total - len(todo), desc="teacher labeling", unit="input")
    append = _Appender(partial, done, {ex.id for ex in todo}, bar)
    try:
        for completion in teacher.complete(todo, on_result=append):
            append(completion)  # no-op if on_result already saved it
    finally:
        append.close()
        bar.close()


def _counts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    counts: dict[str, Any] = {"inputs": len(rows)}
    for split in ("unlabeled", "test"):
        subset = [r for r in rows if r["split"] == split]
        counts[split] = {"n": len(subset), **status_counts(subset)}
        for reason in NO_ANSWER:  # e.g. inputs a replay file has no label for
            n = sum(r["meta"]["finish_reason"] == reason for r in subset)
            if n:
                counts[split][reason] = n
    usage: dict[str, int] = {}
    for row in rows:
        for key, value in row["usage"].items():
            if isinstance(value, int):
                usage[key] = usage.get(key, 0) + value
    counts["usage"] = usage
    return counts


def _demo_info(ctx: RunContext) -> dict[str, Any]:
    labeled = ctx.data.splits["labeled"]
    return {"split": ctx.config.data.labeled, "n": len(labeled),
            "ids_fingerprint": ctx.data.fingerprints["labeled"]["ids"]}
