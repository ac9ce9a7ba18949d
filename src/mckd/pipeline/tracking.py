"""Send a run's metrics to experiment trackers (TensorBoard, W&B, MLflow, ...) via Accelerate.

Off unless the config names trackers (``tracking.trackers``). What is logged, as each step
finishes:

- every trained student: per epoch ``<step>/loss`` and ``<step>/fidelity`` (the checkpoint
  rule's score), with the epoch as the step; ``<step>/seconds`` once;
- every step: its counts (labels valid/repaired/invalid, pairs, relabel agreement, ...) as
  ``<step>/<count>``;
- the evaluation step: each method's test scores as ``test/<method>/<metric>``.

Trackers are Accelerate's own classes (``accelerate.tracking``), used directly: mckd's training
runs in one process, so no ``Accelerator`` is needed for them. A tracker that cannot start
(package missing) is a ``ConfigError`` naming the package, raised before any step runs.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from mckd.config.tracking import TrackingConfig
from mckd.core.errors import ConfigError

log = logging.getLogger(__name__)

_PACKAGES = {"tensorboard": "tensorboard (pip install 'mckd[track]')", "wandb": "wandb",
             "mlflow": "mlflow", "aim": "aim", "comet_ml": "comet_ml", "clearml": "clearml",
             "dvclive": "dvclive"}


class RunTracker:
    """The run's open trackers; ``log_step`` after each finished step, ``close`` at the end."""

    def __init__(self, trackers: list[Any]):
        self.trackers = trackers
        self._stage_index = 0

    def log(self, values: dict[str, float | int], step: int | None = None) -> None:
        """Log numeric ``values`` (others are dropped) to every tracker."""
        values = {k: v for k, v in values.items() if isinstance(v, int | float) and not isinstance(v, bool)}
        if values:
            for tracker in self.trackers:
                tracker.log(values, step=step)

    def log_step(self, name: str, counts: dict[str, Any], info: dict[str, Any], seconds: float,
                 run_dir: Path) -> None:
        """What one finished step measured (see the module doc)."""
        self._stage_index += 1
        self.log({f"{name}/{k}": v for k, v in _flat(counts).items()} | {f"{name}/seconds": seconds},
                 step=self._stage_index)
        training = info.get("training") or {}
        for epoch in training.get("history", []):
            self.log({f"{name}/loss": epoch.get("loss"), f"{name}/fidelity": epoch.get("score")},
                     step=epoch["epoch"])
        if name == "evaluate":
            metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
            for method, scores in metrics.get("methods", {}).items():
                self.log({f"test/{method}/{k}": v for k, v in scores.items()})

    def close(self) -> None:
        for tracker in self.trackers:
            tracker.finish()


def open_tracker(cfg: TrackingConfig, run_name: str, run_dir: Path,
                 config: dict[str, Any]) -> RunTracker | None:
    """Start the configured trackers and store the resolved config in them (None when off).

    Raises:
        ConfigError: a tracker's package is not installed.
    """
    if not cfg.trackers:
        return None
    from accelerate.tracking import LOGGER_TYPE_TO_CLASS

    project = cfg.project or run_name
    logging_dir = Path(cfg.logging_dir).expanduser() if cfg.logging_dir else run_dir / "tracking"
    started = []
    for name in cfg.trackers:
        cls = LOGGER_TYPE_TO_CLASS[name]
        try:
            if getattr(cls, "requires_logging_directory", False):
                tracker = cls(project, logging_dir)
            else:
                tracker = cls(project)
            if hasattr(tracker, "start"):
                tracker.start()
            tracker.store_init_configuration(_flat(config))
        except (ImportError, ModuleNotFoundError) as exc:
            raise ConfigError(f"tracking.trackers: {name!r} needs the package "
                              f"{_PACKAGES.get(name, name)} ({exc})") from None
        started.append(tracker)
        log.info("tracking with %s (project %r)", name, project)
    return RunTracker(started)


def _flat(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested config -> ``{"student.lr": 0.002, ...}`` with scalar values (what trackers take)."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, f"{name}."))
        elif isinstance(value, str | int | float | bool):
            out[name] = value
        elif value is not None:
            out[name] = str(value)
    return out
