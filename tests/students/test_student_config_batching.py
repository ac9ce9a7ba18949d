"""StudentConfig validation; the settings removed with the speed machinery; batch order."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mckd.config.fingerprints import fingerprinted
from mckd.config.student import StudentConfig


def test_defaults_are_scratch_compact():
    cfg = StudentConfig()
    assert cfg.init == "scratch" and cfg.target_format == "compact" and cfg.constrained
    assert StudentConfig(init="pretrained", model="t5-base").target_format == "paper"
    assert StudentConfig(target_format="paper").target_format == "paper"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"init": "pretrained"}, "needs model"),
        ({"d_model": 30, "num_heads": 4}, "must divide"),
        ({"min_epochs": 5, "max_epochs": 2}, "min_epochs 5 > max_epochs 2"),
        ({"micro_batch_size": 64, "batch_size": 32}, "micro_batch_size 64 > batch_size"),
        ({"lr": 0}, "greater than 0"),
        ({"precision": "fp16"}, "'auto', 'fp32' or 'bf16'"),
        ({"batchsize": 8}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_values_are_explained(values, message):
    with pytest.raises(ValidationError, match=message):
        StudentConfig(**values)


def test_removed_settings_load_at_their_old_value_and_name_the_field_otherwise():
    # a run's saved config.yaml from before the removal holds these values: it still loads
    old = StudentConfig(batching="random", unpadded=True, length_groups=2, batch_tokens=None)
    assert old == StudentConfig()
    with pytest.raises(ValidationError, match=r"student.batching was removed \(batches are "
                       r"always random draws.*delete it from the config"):
        StudentConfig(batching="by_length")
    with pytest.raises(ValidationError, match=r"student.unpadded was removed.*"
                       r"student.length_groups was removed"):
        StudentConfig(unpadded=False, length_groups=4)


def test_fingerprints_keep_what_runs_made_before_the_removal_recorded():
    student = fingerprinted(StudentConfig())
    assert student["batching"] == "random" and student["unpadded"] is True
    assert "length_groups" not in student and "batch_tokens" not in student


def test_epoch_batches_are_a_seeded_shuffle_covering_every_example_once():
    pytest.importorskip("torch")
    from mckd.students.train import epoch_batches

    plan = epoch_batches(103, 32, seed=5, epochs=3)
    assert [len(b) for b in plan[0]] == [32, 32, 32, 7]
    assert all(sorted(i for b in epoch for i in b) == list(range(103)) for epoch in plan)
    assert epoch_batches(103, 32, seed=5, epochs=3) == plan
    assert plan[0] != plan[1] and plan[0][0] != sorted(plan[0][0])
