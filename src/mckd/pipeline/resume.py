"""Deciding where a run resumes, and what ``--force-from STEP`` / ``--force`` throw away.

Steps run in plan order, so after any interruption the finished steps form a prefix of the
plan. A rerun skips every finished step whose input fingerprint still matches and whose
artifacts are on disk, and continues from the first other step. If a *finished* step's inputs
changed (the config or an upstream artifact), the rerun refuses with a ``RunStateError`` that
names that step and the flag to force it, before doing any work.
"""

from __future__ import annotations

import difflib
import logging
import shutil
from pathlib import Path

from mckd.core.errors import ConfigError, RunStateError
from mckd.core.hashing import fingerprint
from mckd.pipeline.manifest import Manifest
from mckd.pipeline.steps import Step, input_parts

log = logging.getLogger(__name__)


def resume_point(plan: list[Step], manifest: Manifest, run_dir: Path) -> int:
    """Index in ``plan`` of the first step to run (``len(plan)`` when all are finished).

    Raises:
        RunStateError: a finished step's inputs changed or its artifacts are gone, or a step
            that has not run precedes one that finished under an earlier config.
    """
    for i, step in enumerate(plan):
        entry = manifest.done(step.name)
        parts = input_parts(step, manifest)
        if entry is None:
            later = [s.name for s in plan[i + 1:] if manifest.done(s.name)]
            if later:
                raise RunStateError(
                    f"{run_dir}: step {step.name!r} has not run under this config, but later "
                    f"steps ({', '.join(later)}) finished under an earlier one. "
                    + _fix(step.name))
            return i
        missing = manifest.missing_artifacts(step.name)
        if missing:
            raise RunStateError(f"{run_dir}: step {step.name!r} finished but its artifacts are "
                                f"gone ({', '.join(missing)}). " + _fix(step.name))
        if parts is None or entry.get("fingerprint") != fingerprint(parts):
            changed = _changed(entry.get("inputs") or {}, parts or {})
            raise RunStateError(
                f"{run_dir} holds a run whose step {step.name!r} finished with other inputs "
                f"(changed: {changed}). " + _fix(step.name))
    return len(plan)


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
