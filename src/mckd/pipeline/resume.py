"""Deciding where a run resumes, and what ``--force-from STEP`` / ``--force`` throw away.

Steps run in plan order. A rerun skips every finished step whose input fingerprint still
matches and whose artifacts are on disk, and runs the others: the unfinished ones and the steps
the config added (a baseline switched on, a stage count added to the sweep). A finished step
that now reads *additional* steps and nothing else changed (``evaluate`` when a method was
added) is *extended*: it runs again without complaint. If a finished step's inputs changed
otherwise (the config or an upstream artifact), the rerun refuses with a ``RunStateError`` that
names that step and the flag to force it, before doing any work.
"""

from __future__ import annotations

import difflib
import logging
import shutil
from pathlib import Path

from mckd.core.errors import ConfigError, RunStateError
from mckd.core.hashing import fingerprint
from mckd.pipeline.context import Step
from mckd.pipeline.manifest import Manifest
from mckd.pipeline.steps import input_parts
from mckd.pipeline.training import remove_epoch_states

log = logging.getLogger(__name__)


def steps_to_run(plan: list[Step], manifest: Manifest, run_dir: Path) -> list[Step]:
    """The steps of ``plan`` to run now, in plan order (empty when all are finished).

    Raises:
        RunStateError: a finished step's inputs changed or its artifacts are gone, or a step
            that has not run precedes one that read it under an earlier config.
    """
    todo: list[Step] = []
    for step in plan:
        entry = manifest.done(step.name)
        if entry is None:
            todo.append(step)
            continue
        missing = manifest.missing_artifacts(step.name)
        if missing:
            raise RunStateError(f"{run_dir}: step {step.name!r} finished but its artifacts are "
                                f"gone ({', '.join(missing)}). " + _fix(step.name))
        old = entry.get("inputs") or {}
        rerun = [s.name for s in todo if f"output of {s.name}" in old]
        if rerun:
            raise RunStateError(
                f"{run_dir}: step {rerun[0]!r} has not run under this config, but later "
                f"steps ({step.name}) finished under an earlier one. " + _fix(rerun[0]))
        parts = input_parts(step, manifest)
        if parts is not None and entry.get("fingerprint") == fingerprint(parts):
            continue
        added = _only_added_reads(step, old, manifest)
        if added is None:
            changed = _changed(old, parts or input_parts(step, manifest, known=True) or {})
            raise RunStateError(
                f"{run_dir} holds a run whose step {step.name!r} finished with other inputs "
                f"(changed: {changed}). " + _fix(step.name))
        log.info("step %s now also reads %s: it runs again", step.name, ", ".join(added))
        todo.append(step)
    return todo


def _only_added_reads(step: Step, old: dict[str, object],
                      manifest: Manifest) -> list[str] | None:
    """The steps ``step`` reads now but did not when it finished, if that is the only change
    (same seed, same config, same outputs of the steps it read before); else None."""
    prefix = "output of "
    new = input_parts(step, manifest, known=True) or {}
    before = [k for k in old if k.startswith(prefix)]
    if any(k not in (prefix + d for d in step.deps) for k in before):
        return None  # it no longer reads a step it read
    if any(old.get(k) != new.get(k) for k in old):
        return None
    if any(k not in old for k in new if not k.startswith(prefix)):
        return None  # a config value it did not read before
    added = [d for d in step.deps if prefix + d not in old]
    return added or None


def _fix(step: str) -> str:
    return (f"Rerun with --force-from {step} to redo it and every later step, --force to redo "
            "the whole run, or set another output_dir (or name) to keep both runs.")


def _changed(old: dict[str, object], new: dict[str, object]) -> str:
    """Which inputs differ: config sections, the seed, or the steps read and their outputs."""
    prefix = "output of "
    old_deps = [k[len(prefix):] for k in old if k.startswith(prefix)]
    new_deps = [k[len(prefix):] for k in new if k.startswith(prefix)]
    what = [k for k in sorted(set(old) | set(new))
            if not k.startswith(prefix) and old.get(k) != new.get(k)]
    if old_deps != new_deps:
        what.append(f"reads {', '.join(new_deps) or 'nothing'} instead of {', '.join(old_deps)}")
    else:
        what += [f"output of {d}" for d in new_deps if old.get(prefix + d) != new.get(prefix + d)]
    return "; ".join(what) or "unknown"


def apply_force(plan: list[Step], manifest: Manifest, force_from: str | None,
                force: bool) -> set[str]:
    """Forget the forced steps (and steps no longer in the plan); return the forced names.

    Raises:
        ConfigError: ``force_from`` names no step of this run.
    """
    names = [s.name for s in plan]
    if force:
        force_from = names[0]
    if force_from is None:
        return set()
    if force_from not in names:
        lowered = {n.lower(): n for n in names}
        close = difflib.get_close_matches(force_from.lower(), list(lowered), n=1)
        hint = f"did you mean {lowered[close[0]]!r}? " if close else ""
        raise ConfigError(f"--force-from {force_from!r}: no such step in this run; {hint}"
                          f"steps: {', '.join(names)}")
    forced = names[names.index(force_from):]
    stale = [n for n in manifest.steps if n not in names]
    for name in stale:  # steps of an earlier plan (e.g. more stages): remove their files
        for rel in manifest.steps[name].get("artifacts", []):
            remove(manifest.run_dir / rel)
            parent = (manifest.run_dir / rel).parent
            if parent != manifest.run_dir and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()  # e.g. an emptied stage_<k>/
    for step in plan[names.index(force_from):]:  # forced: no resuming inside the step either
        remove_epoch_states(manifest.run_dir, step)
    manifest.drop(forced + stale)
    log.info("forced: %s%s", ", ".join(forced),
             f" (and removed steps no longer in the plan: {', '.join(stale)})" if stale else "")
    return set(forced)


def remove(path: Path) -> None:
    """Delete a file or a folder tree if it exists."""
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def clear_outputs(run_dir: Path, step: Step, keep: Path | None = None) -> None:
    """Remove what an unfinished earlier attempt of ``step`` left (except ``keep``)."""
    if step.out is None:
        return
    target = run_dir / step.out
    if keep is None or not target.is_dir():
        remove(target)
        return
    for child in target.iterdir():
        if child != keep:
            remove(child)
