"""Random batches (the default): uniform draws, run as few passes of similar length, with the
gradient of the whole batch."""

from __future__ import annotations

import contextlib
import itertools
import random

import pytest

from mckd.config.student import StudentConfig
from mckd.students.batching import padding_groups, random_batches


def _padded(groups, src, tgt) -> int:
    return sum(len(g) * (max(src[i] for i in g) + max(tgt[i] for i in g)) for g in groups)


def test_random_batches_are_a_seeded_shuffle_not_sorted_by_length():
    batches = random_batches(103, 32, random.Random(5))
    assert [len(b) for b in batches] == [32, 32, 32, 7]
    assert sorted(i for b in batches for i in b) == list(range(103))
    assert random_batches(103, 32, random.Random(5)) == batches
    assert batches[0] != sorted(batches[0])


def test_padding_groups_is_the_least_padded_split_hand_checked():
    src, tgt = [5, 30, 6, 29, 7, 28], [10, 60, 12, 58, 14, 56]
    assert padding_groups(range(6), src, tgt, 2) == [[0, 2, 4], [5, 3, 1]]  # 3*21 + 3*90
    assert padding_groups(range(6), src, tgt, 1) == [[0, 2, 4, 5, 3, 1]]
    assert padding_groups([3], src, tgt, 4) == [[3]]


def test_padding_groups_matches_brute_force():
    rng = random.Random(1)
    for _ in range(150):
        n = rng.randint(1, 8)
        src = [rng.randint(1, 30) for _ in range(n)]
        tgt = [rng.randint(1, 60) for _ in range(n)]
        k = rng.randint(1, 4)
        got = padding_groups(range(n), src, tgt, k)
        assert sorted(i for g in got for i in g) == list(range(n)) and len(got) <= k
        order = sorted(range(n), key=lambda i: (src[i] + tgt[i], i))
        best = min(_padded([order[a:b] for a, b in zip((0, *cuts), (*cuts, n))], src, tgt)
                   for m in range(min(k, n)) for cuts in itertools.combinations(range(1, n), m))
        assert _padded(got, src, tgt) == best


def test_random_batching_is_the_default_and_grouped_passes_give_the_batch_gradient():
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from mckd.students.seq2seq import Seq2SeqStudentBackend
    from mckd.students.train import _accumulate, _micro_batches

    assert StudentConfig().batching == "random" and StudentConfig().length_groups == 2
    words = "the cells were stained with a new antibody in every sample".split()
    rng = random.Random(0)
    pairs = []
    for _ in range(12):
        n = rng.randint(2, 10)
        pairs.append((" ".join(words[:n]), " ".join(["X"] * n)))
    cfg = StudentConfig(d_model=16, d_ff=32, num_heads=2, num_layers=1, num_decoder_layers=1,
                        dropout=0.0, length_groups=3)
    torch.manual_seed(0)
    model, tokenizer, _ = Seq2SeqStudentBackend(cfg)._build(pairs, None)
    sources = [tokenizer(s)["input_ids"] for s, _ in pairs]
    targets = [tokenizer(t)["input_ids"] for _, t in pairs]
    batch = list(range(12))
    micros = _micro_batches(batch, cfg, None, ([len(s) for s in sources], [len(t) for t in targets]))
    assert len(micros) == 3 and sorted(i for m, _ in micros for i in m) == batch

    def gradient(passes):
        model.zero_grad()
        n_target = sum(len(targets[i]) for i in batch)
        loss, _ = _accumulate(model, model, passes, (sources, targets, tokenizer.pad_token_id),
                              n_target, "fp32", lambda last: contextlib.nullcontext())
        return loss, [p.grad.clone() for p in model.parameters() if p.grad is not None]

    grouped_loss, grouped = gradient(micros)
    whole_loss, whole = gradient([(batch, 1.0)])
    assert grouped_loss == pytest.approx(whole_loss, rel=1e-5)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(grouped, whole, strict=True))
