"""Reading what a finished run directory says about itself.

A *run* is one seed's run directory (``metrics.json``, ``manifest.json``, per-method
``predictions.jsonl``); an *experiment* is one config: a run directory, or a folder of
``seed_<s>/`` run directories made by ``mckd run --seeds``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mckd.core.errors import MckdError

#: display order of methods; stage students and the sweep's final students (mckd_<j>) go
#: between these baselines and the final MCKD student
METHOD_ORDER = ("teacher", "sft", "vanilla_kd", "kd_sd_filter")
#: methods compared against in the differences table
REFERENCES = ("teacher", "vanilla_kd")


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
    seed: int = 0
    relabel: str = "other"
    mix_gold: bool = False
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def ordered_methods(self) -> list[tuple[str, dict[str, Any]]]:
        """Methods in table order: teacher, baselines, stage students by stage, final MCKD."""

        return sorted(self.methods.items(), key=lambda kv: method_rank(kv[0]))

    def manifest(self) -> dict[str, Any]:
        """The run's ``manifest.json`` steps ({} when absent)."""
        if "manifest" not in self._cache:
            path = self.path / "manifest.json"
            data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
            self._cache["manifest"] = data.get("steps", {}) if isinstance(data, dict) else {}
        return self._cache["manifest"]

    def example_scores(self, key: str) -> tuple[tuple[str, ...], list[float]] | None:
        """(test ids, per-example scores x 100) of method ``key`` from its predictions, or None
        when the run kept none (``example_score`` is the task's per-example headline score)."""
        cache_key = f"scores:{key}"
        if cache_key not in self._cache:
            step = self.methods.get(key, {}).get("step")
            path = self.path / str(step) / "predictions.jsonl"
            found = None
            if step and path.is_file():
                rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                        if line.strip()]
                if rows and all("example_score" in r for r in rows):
                    found = (tuple(r["id"] for r in rows),
                             [100.0 * float(r["example_score"]) for r in rows])
            self._cache[cache_key] = found
        return self._cache[cache_key]


def method_rank(key: str) -> tuple[int, int, str]:
    """Sort key of a method: teacher, SFT, vanilla KD, KD + SD, stage students by stage, the
    sweep's final students by stage count, then the final MCKD student."""
    if key in METHOD_ORDER:
        return METHOD_ORDER.index(key), 0, key
    if key.startswith("stage_"):
        return len(METHOD_ORDER), int(key.removeprefix("stage_").split("/")[0]), key
    if key.startswith("mckd_") and key[5:].isdigit():
        return len(METHOD_ORDER) + 1, int(key[5:]), key
    return len(METHOD_ORDER) + 2, 0, key


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
        seed=int(data.get("seed", 0)),
        relabel=str(data.get("relabel", "other")),
        mix_gold=bool(data.get("mix_gold", False)),
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
    if key.startswith("mckd_") and key[5:].isdigit():
        return int(key[5:])
    if key.startswith("stage_"):
        return int(key.removeprefix("stage_").split("/")[0])
    return None


def seed_dirs(path: Path) -> list[Path]:
    """The ``seed_<s>`` run directories under ``path`` (``mckd run --seeds``), by seed."""
    found = [p for p in path.glob("seed_*") if p.is_dir() and p.name[5:].isdigit()]
    return sorted(found, key=lambda p: int(p.name[5:]))


def expand_runs(path: str | Path) -> list[RunSummary]:
    """Every seed's run in ``path``: the run itself, or its ``seed_<s>`` runs.

    Raises:
        MckdError: neither a finished run nor a folder of finished seed runs.
    """
    path = Path(path)
    if not (path / "metrics.json").exists():
        seeds = seed_dirs(path)
        if seeds:
            return [load_run(p) for p in seeds]
    return [load_run(path)]


@dataclass(frozen=True)
class Experiment:
    """One config's runs, one per seed (a single run is an experiment of one seed)."""

    name: str
    path: Path
    runs: tuple[RunSummary, ...]

    @property
    def seeds(self) -> list[int]:
        return [r.seed for r in self.runs]

    def run(self, seed: int) -> RunSummary | None:
        """The run of ``seed``, if the experiment has one."""
        return next((r for r in self.runs if r.seed == seed), None)

    def method_keys(self) -> list[str]:
        """Every method key of any seed, in table order."""
        keys = {k for r in self.runs for k in r.methods}
        return sorted(keys, key=method_rank)

    def label(self, key: str) -> str:
        """The display label of method ``key``."""
        for run in self.runs:
            if key in run.methods:
                return str(run.methods[key].get("label", key))
        return key

    def values(self, key: str, metric: str) -> list[float]:
        """``metric`` of method ``key`` in every seed that has it."""
        out = []
        for run in self.runs:
            value = run.methods.get(key, {}).get(metric)
            if value is not None:
                out.append(float(value))
        return out


def load_experiment(path: str | Path) -> Experiment:
    """A finished run directory, or a folder of ``seed_<s>`` run directories, as an experiment.

    Raises:
        MckdError: neither a finished run nor a folder of finished seed runs.
    """
    runs = expand_runs(path)
    seeds = [r.seed for r in runs]
    if len(set(seeds)) != len(seeds):
        raise MckdError(f"{path}: several runs with the same seed ({seeds}); pass each "
                        "seed's run directory as its own experiment")
    return Experiment(name=runs[0].name, path=Path(path), runs=tuple(runs))


def load_experiments(paths: Sequence[str | Path]) -> list[Experiment]:
    """``load_experiment`` of each path; experiments that share a run name (two runs of one
    config) are told apart by their folder: ``craft-demo (runs/a)``, ``craft-demo (runs/b)``.

    Raises:
        MckdError: a path is neither a finished run nor a folder of finished seed runs, or
            is given twice.
    """
    resolved = [Path(p).resolve() for p in paths]
    twice = next((p for p, r in zip(paths, resolved, strict=True) if resolved.count(r) > 1), None)
    if twice is not None:
        raise MckdError(f"{twice} is given more than once; name each run directory once")
    experiments = [load_experiment(p) for p in paths]
    names = [e.name for e in experiments]
    return [replace(e, name=f"{e.name} ({e.path})") if names.count(e.name) > 1 else e
            for e in experiments]
