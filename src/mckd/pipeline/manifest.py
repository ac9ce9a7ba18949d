"""``manifest.json``: what each step of a run did, rewritten atomically after every change.

Per step: status (running / done / failed), the input fingerprint and its parts, the seed,
start/finish times, seconds, peak memory, counts, artifact paths (relative to the run
directory), an output fingerprint of those artifacts and step-specific info. A step is finished
only when its entry says ``done``; resume trusts nothing else.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from mckd.core.errors import RunStateError
from mckd.core.hashing import file_fingerprint, fingerprint
from mckd.core.jsonl import write_json

MANIFEST = "manifest.json"
VERSION = 1


def now() -> str:
    """Local time as ISO 8601 with seconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def artifacts_fingerprint(run_dir: Path, artifacts: list[str]) -> str:
    """Fingerprint of the bytes of every artifact (files, or every file under a folder)."""
    digests: dict[str, str] = {}
    for rel in artifacts:
        path = run_dir / rel
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            digests[f.relative_to(run_dir).as_posix()] = file_fingerprint(f)
    return fingerprint(digests)


class Manifest:
    """The run's step records, loaded from and saved to ``<run_dir>/manifest.json``."""

    def __init__(self, run_dir: Path, run_name: str):
        self.run_dir = run_dir
        self.path = run_dir / MANIFEST
        self.data: dict[str, Any] = {"version": VERSION, "run": run_name, "steps": {}}
        if self.path.exists():
            try:
                loaded = json.loads(self.path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise RunStateError(
                    f"{self.path} is damaged ({exc}); rerun with --force to start the run over"
                ) from None
            if loaded.get("version") != VERSION or not isinstance(loaded.get("steps"), dict):
                raise RunStateError(f"{self.path} was written by another mckd version; "
                                    "rerun with --force or use a new output_dir")
            self.data = loaded

    @property
    def steps(self) -> dict[str, dict[str, Any]]:
        return self.data["steps"]

    def done(self, name: str) -> dict[str, Any] | None:
        """The entry of ``name`` if that step finished, else None."""
        entry = self.steps.get(name)
        return entry if entry and entry.get("status") == "done" else None

    def missing_artifacts(self, name: str) -> list[str]:
        """Artifacts a finished step recorded that are no longer on disk."""
        entry = self.steps.get(name) or {}
        return [a for a in entry.get("artifacts", []) if not (self.run_dir / a).exists()]

    def start(self, name: str, fp: str, *, inputs: dict[str, Any], seed: int,
              deps: list[str]) -> None:
        """Record that ``name`` started with input fingerprint ``fp`` (made of ``inputs``)."""
        self.steps[name] = {"status": "running", "fingerprint": fp, "inputs": inputs,
                            "seed": seed, "deps": deps, "started": now()}
        self.save()

    def finish(self, name: str, *, artifacts: list[str], seconds: float, **fields: Any) -> None:
        """Mark ``name`` done: artifacts are fully written. ``fields``: counts, info, memory."""
        entry = self.steps[name]
        entry.update(fields)
        entry.update({
            "status": "done",
            "finished": now(),
            "seconds": round(seconds, 3),
            "artifacts": artifacts,
            "output_fingerprint": artifacts_fingerprint(self.run_dir, artifacts),
        })
        self.save()

    def fail(self, name: str, error: str) -> None:
        """Record that ``name`` stopped without finishing."""
        entry = self.steps.setdefault(name, {})
        entry.update({"status": "failed", "error": error, "stopped": now()})
        self.save()

    def drop(self, names: list[str]) -> None:
        """Forget steps (they will run again)."""
        for name in names:
            self.steps.pop(name, None)
        self.save()

    def save(self) -> None:
        write_json(self.path, self.data)
