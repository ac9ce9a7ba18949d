"""Experiment tracking (``tracking:`` in a run config): off unless a tracker is named."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Accelerate's tracker names mckd passes through (``accelerate.tracking``); each needs its own
#: package installed (tensorboard: ``pip install 'mckd[track]'``; wandb, mlflow: their own).
TRACKERS = ("tensorboard", "wandb", "mlflow", "aim", "comet_ml", "clearml", "dvclive")


class TrackingConfig(BaseModel):
    """Where per-epoch and per-stage metrics go, through Accelerate's trackers.

    Example::

        tracking:
          trackers: [tensorboard]     # logs under <run dir>/tracking; `tensorboard --logdir` it
    """

    model_config = ConfigDict(extra="forbid")

    trackers: list[str] = Field(
        default_factory=list,
        description=f"tracker names ({', '.join(TRACKERS)}); empty = no tracking",
    )
    project: str | None = Field(
        None, description="project / experiment name for the trackers (default: the run name)"
    )
    logging_dir: str | None = Field(
        None, description="folder for file-based trackers (default: <run dir>/tracking)"
    )

    @field_validator("trackers")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in TRACKERS]
        if unknown:
            raise ValueError(f"unknown tracker(s) {', '.join(unknown)}; choose from {', '.join(TRACKERS)}")
        return value
