"""StudentConfig validation and length-bucketed batching."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from mckd.config.student import StudentConfig
from mckd.students.batching import IGNORE_INDEX, bucketed_batches, collate, split_micro


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


def test_bucketed_batches_cover_everything_once_with_little_padding():
    rng = random.Random(0)
    lengths = [rng.randint(5, 60) for _ in range(1000)]
    batches = bucketed_batches(lengths, 32, random.Random(1))
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(1000))
    assert all(len(b) <= 32 for b in batches)
    padding = sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in batches)
    assert padding < 0.1 * sum(lengths)  # unsorted batches would pad ~40%
    assert bucketed_batches(lengths, 32, random.Random(1)) == batches  # seeded
    assert bucketed_batches(lengths, 32, random.Random(2)) != batches


def test_split_micro_and_collate_shapes():
    assert split_micro([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert split_micro([1, 2, 3], None) == [[1, 2, 3]]
    pytest.importorskip("torch")
    batch = collate([[5, 6, 1], [7, 1]], [[3, 1], [4, 4, 4, 1]], [0, 1], pad_id=0)
    assert batch["input_ids"].tolist() == [[5, 6, 1], [7, 1, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
    assert batch["labels"].tolist() == [[3, 1, IGNORE_INDEX, IGNORE_INDEX], [4, 4, 4, 1]]
