"""Token-budget batches (``student.batch_tokens``) and training on them."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from mckd.config.student import StudentConfig
from mckd.students.batching import token_budget_batches


def _lengths(n: int = 500, seed: int = 0) -> list[int]:
    rng = random.Random(seed)
    return [rng.randint(4, 90) for _ in range(n)]


def test_every_index_once_within_the_budget():
    lengths = _lengths() + [400]  # one example longer than the budget
    batches = token_budget_batches(lengths, 256, random.Random(1))
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        padded = len(b) * max(lengths[i] for i in b)
        assert padded <= 256 or len(b) == 1
    assert [len(lengths) - 1] in batches
    sizes = {len(b) for b in batches}
    assert max(sizes) > 4 * min(sizes)  # short examples share a batch, long ones do not


def test_token_budget_batches_are_seeded_and_pad_little():
    lengths = _lengths()
    first = token_budget_batches(lengths, 512, random.Random(7))
    assert token_budget_batches(lengths, 512, random.Random(7)) == first
    assert token_budget_batches(lengths, 512, random.Random(8)) != first
    padding = sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in first)
    assert padding < 0.1 * sum(lengths)


def test_empty_input_gives_no_batches():
    assert token_budget_batches([], 64, random.Random(0)) == []


def test_batch_tokens_must_be_positive():
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        StudentConfig(batch_tokens=0)


@pytest.mark.slow
def test_training_steps_follow_the_token_budget():
    pytest.importorskip("torch")
    import torch

    from mckd.students.model import build_scratch_model
    from mckd.students.tokenizer import train_word_tokenizer
    from mckd.students.train import train_loop

    rng = random.Random(0)
    words = ("the", "a", "dog", "cat", "saw", "big", "red", "house")
    pairs = []
    for _ in range(30):
        k = rng.randint(2, 12)
        pairs.append((" ".join(rng.choice(words) for _ in range(k)), " ".join(["X"] * k)))
    cfg = StudentConfig(d_model=32, d_ff=64, num_heads=2, num_layers=1, num_decoder_layers=1,
                        lr=1e-2, warmup_ratio=0.0, batch_tokens=60, max_epochs=3, min_epochs=3,
                        dropout=0.0)
    torch.manual_seed(0)
    tokenizer = train_word_tokenizer([s for s, _ in pairs], [t for _, t in pairs], min_frequency=1)
    model = build_scratch_model(cfg, tokenizer)
    sources = [tokenizer(s)["input_ids"] for s, _ in pairs]
    targets = [tokenizer(t)["input_ids"] for _, t in pairs]
    summary = train_loop(model, sources, targets, cfg, seed=5, pad_id=tokenizer.pad_token_id,
                         precision="fp32", evaluate=lambda epoch: None)
    lengths = [len(s) + len(t) for s, t in zip(sources, targets, strict=True)]
    assert summary["steps_per_epoch"] == len(token_budget_batches(lengths, 60, random.Random(5)))
    assert summary["steps_per_epoch"] > -(-len(pairs) // cfg.batch_size)
    losses = [h["loss"] for h in summary["history"]]
    assert losses[-1] < losses[0]
