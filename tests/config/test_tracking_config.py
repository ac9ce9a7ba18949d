"""``tracking:``: off by default, known tracker names only."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mckd.config.tracking import TrackingConfig


def test_off_by_default_and_accepts_accelerate_names():
    assert TrackingConfig().trackers == []
    assert TrackingConfig(trackers=["tensorboard", "wandb"]).trackers == ["tensorboard", "wandb"]


def test_unknown_tracker_lists_the_choices():
    with pytest.raises(ValidationError, match="unknown tracker.*tensorbord.*choose from tensorboard"):
        TrackingConfig(trackers=["tensorbord"])
