"""The unpadded BART forward computes what the padded model computes, and trains the same."""

from __future__ import annotations

import random

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from mckd.config.student import StudentConfig
from mckd.students.batching import collate
from mckd.students.losses import linear_cross_entropy
from mckd.students.train import decoder_inputs
from mckd.students.unpadded import FlatLoss, Layout, head, supports, token_states

pytestmark = pytest.mark.slow  # BART forward/backward comparisons and trainings


def _bart(**overrides):
    from transformers import BartConfig, BartForConditionalGeneration

    values = dict(vocab_size=60, d_model=32, encoder_layers=2, decoder_layers=2,
                  encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64,
                  decoder_ffn_dim=64, pad_token_id=1, bos_token_id=1, eos_token_id=2,
                  decoder_start_token_id=1, max_position_embeddings=64, scale_embedding=True)
    torch.manual_seed(0)
    return BartForConditionalGeneration(BartConfig(**{**values, **overrides}))


def _pairs(n=7, seed=0):
    rng = random.Random(seed)
    sources = [[rng.randrange(3, 60) for _ in range(rng.randrange(1, 14))] + [2] for _ in range(n)]
    targets = [[rng.randrange(3, 60) for _ in range(rng.randrange(1, 20))] + [2] for _ in range(n)]
    return sources, targets


def _padded_logits(model, sources, targets):
    """The model's own forward on a padded batch, at the real target positions (N, V)."""
    batch = collate(sources, targets, list(range(len(sources))), model.config.pad_token_id)
    labels = batch.pop("labels")
    logits = model(**batch, **decoder_inputs(model, labels), use_cache=False).logits
    return logits[labels != -100], labels[labels != -100]


def _flat_logits(model, sources, targets, groups):
    weight, bias = head(model)
    return torch.nn.functional.linear(token_states(model, sources, targets, groups), weight, bias)


@pytest.mark.parametrize("groups", [1, 2, 3, 7])
def test_flat_logits_equal_the_padded_models_logits(groups):
    model = _bart().eval()
    sources, targets = _pairs()
    ref, _ = _padded_logits(model, sources, targets)
    ours = _flat_logits(model, sources, targets, groups)
    assert ours.shape == ref.shape == (sum(map(len, targets)), 60)
    assert torch.allclose(ours, ref, atol=1e-5)
    # a model whose checkpoint sets the logits bias: it is applied
    with torch.no_grad():
        model.final_logits_bias.normal_()
    ref, _ = _padded_logits(model, sources, targets)
    assert torch.allclose(_flat_logits(model, sources, targets, groups), ref, atol=1e-5)
    # the comparison can fail: other targets give other logits
    swapped = _flat_logits(model, sources, targets[::-1], groups)
    assert swapped.shape != ref.shape or not torch.allclose(swapped, ref, atol=1e-3)


def test_flat_loss_gradient_equals_the_padded_loss_gradient():
    model = _bart().eval()  # no dropout: both sides compute the same function
    sources, targets = _pairs(9, seed=1)
    logits, labels = _padded_logits(model, sources, targets)
    ref = torch.nn.functional.cross_entropy(logits, labels, reduction="sum")
    ref.backward()
    ref_grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad(set_to_none=True)
    ours = FlatLoss(model, groups=2)(sources, targets)
    ours.backward()
    assert ours.item() == pytest.approx(ref.item(), rel=1e-5)
    grads = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
    assert grads.keys() == ref_grads.keys()
    for name, grad in grads.items():
        assert torch.allclose(grad, ref_grads[name], atol=1e-5), name


def test_layout_pads_groups_with_zeros_and_unpads_every_token_once():
    lengths = [3, 1, 4, 2]
    layout = Layout.of(lengths, [[0, 2], [3, 1]], torch.device("cpu"))
    flat = torch.arange(1, 11, dtype=torch.float32)[:, None]  # tokens numbered 1..10, in order
    blocks = layout.pad(flat)
    assert [tuple(b.shape) for b in blocks] == [(2, 4, 1), (2, 2, 1)]
    assert blocks[0][:, :, 0].tolist() == [[1, 2, 3, 0], [5, 6, 7, 8]]  # examples 0 and 2
    assert blocks[1][:, :, 0].tolist() == [[9, 10], [4, 0]]  # examples 3 and 1
    assert [m.tolist() for m in layout.masks] == [[[True] * 3 + [False], [True] * 4],
                                                  [[True, True], [True, False]]]
    assert layout.positions.tolist() == [0, 1, 2, 0, 0, 1, 2, 3, 0, 1]
    assert torch.equal(layout.unpad(blocks), flat)


def test_only_plain_bart_takes_the_unpadded_forward():
    from transformers import T5Config, T5ForConditionalGeneration

    assert supports(_bart())
    assert not supports(_bart(encoder_layerdrop=0.1))  # layer drop: the model's own forward
    t5 = T5ForConditionalGeneration(T5Config(vocab_size=60, d_model=16, d_kv=4, d_ff=32,
                                             num_layers=1, num_heads=4))
    assert not supports(t5)


def _train(unpadded: bool, architecture: str = "bart"):
    from mckd.students.seq2seq import Seq2SeqStudentBackend
    from mckd.students.train import train_loop

    words = "the cells were stained with a new antibody in every sample of tissue".split()
    rng = random.Random(0)
    pairs = []
    for _ in range(40):
        n = rng.randint(2, 12)
        pairs.append((" ".join(rng.sample(words, n)), " ".join(["X"] * n)))
    cfg = StudentConfig(d_model=16, d_ff=32, num_heads=2, num_layers=1, num_decoder_layers=1,
                        dropout=0.0, batch_size=8, max_epochs=3, min_epochs=3,
                        unpadded=unpadded, architecture=architecture)
    torch.manual_seed(0)
    model, tokenizer, _ = Seq2SeqStudentBackend(cfg)._build(pairs, None)
    sources = [tokenizer(s)["input_ids"] for s, _ in pairs]
    targets = [tokenizer(t)["input_ids"] for _, t in pairs]
    return train_loop(model, sources, targets, cfg, seed=3, pad_id=tokenizer.pad_token_id,
                      precision="fp32", evaluate=lambda epoch: None)


def test_unpadded_training_follows_the_padded_training():
    flat, padded = _train(True), _train(False)
    assert (flat["forward"], padded["forward"]) == ("unpadded", "padded")
    losses = [h["loss"] for h in flat["history"]]
    assert losses == pytest.approx([h["loss"] for h in padded["history"]], abs=2e-4)
    assert losses[-1] < losses[0]
    assert _train(True, architecture="t5")["forward"] == "padded"


@pytest.mark.parametrize("with_bias", [False, True])
def test_linear_cross_entropy_equals_cross_entropy_of_the_logits(with_bias):
    torch.manual_seed(0)
    hidden = torch.randn(50, 16, requires_grad=True)
    weight = torch.randn(30, 16, requires_grad=True)
    bias = torch.randn(30, requires_grad=True) if with_bias else None
    labels = torch.randint(0, 30, (50,))
    labels[::7] = -100
    leaves = [t for t in (hidden, weight, bias) if t is not None]
    ref = torch.nn.functional.cross_entropy(torch.nn.functional.linear(hidden, weight, bias), labels,
                                            reduction="sum")
    ref_grads = torch.autograd.grad(ref * 0.5, leaves)
    for rows in (7, 64):  # several chunks, one chunk
        ours = linear_cross_entropy(hidden, weight, bias, labels, rows)
        grads = torch.autograd.grad(ours * 0.5, leaves)
        assert ours.item() == pytest.approx(ref.item(), rel=1e-5)
        for got, want in zip(grads, ref_grads, strict=True):
            assert torch.allclose(got, want, atol=1e-5)
    assert torch.count_nonzero(grads[0][::7]) == 0  # ignored tokens get no gradient


def test_linear_cross_entropy_hand_computed_and_under_bf16_autocast():
    hidden = torch.tensor([[1.0, 0.0], [0.0, 1.0]], requires_grad=True)
    weight = torch.tensor([[0.0, 0.0], [0.0, 0.0], [2.0, 0.0]], requires_grad=True)
    loss = linear_cross_entropy(hidden, weight, None, torch.tensor([2, 0]))
    # token 1: logits (0, 0, 2), target 2; token 2: logits (0, 0, 0), target 0
    e2 = torch.exp(torch.tensor(2.0))
    assert loss.item() == pytest.approx((torch.log(2 + e2) - 2 + torch.log(torch.tensor(3.0))).item())
    torch.manual_seed(0)
    h = torch.randn(40, 16, requires_grad=True)
    w = torch.randn(30, 16, requires_grad=True)
    labels = torch.randint(0, 30, (40,))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ours = linear_cross_entropy(h, w, None, labels, 16)
    ours.backward()
    ref = torch.nn.functional.cross_entropy(h @ w.T, labels, reduction="sum")
    assert ours.dtype == torch.float32 and h.grad.dtype == w.grad.dtype == torch.float32
    assert ours.item() == pytest.approx(ref.item(), rel=3e-2)


def test_unpadded_micro_batches_accumulate_the_whole_batch_gradient():
    import contextlib

    from mckd.students.train import _accumulate, _micro_batches

    model = _bart().eval()
    sources, targets = _pairs(10, seed=2)
    batch = list(range(10))
    lengths = ([len(s) for s in sources], [len(t) for t in targets])
    n_target = sum(len(t) for t in targets)

    def gradient(cfg):
        model.zero_grad(set_to_none=True)
        micros = _micro_batches(batch, cfg, None, lengths, flat=True)
        loss, tokens = _accumulate(FlatLoss(model, cfg.length_groups), model, micros,
                                   (sources, targets, 1), n_target, "fp32",
                                   lambda last: contextlib.nullcontext(), flat=True)
        return len(micros), loss, tokens, [p.grad.clone() for p in model.parameters()]

    passes, whole_loss, whole_tokens, whole = gradient(StudentConfig())
    assert passes == 1 and whole_tokens == sum(lengths[0]) + sum(lengths[1])
    passes, loss, tokens, split = gradient(StudentConfig(micro_batch_size=3))
    assert passes == 4 and tokens == whole_tokens
    assert loss == pytest.approx(whole_loss, rel=1e-5)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(split, whole, strict=True))


def test_unpadded_training_under_bf16_autocast_learns():
    from mckd.students.train import train_loop

    model = _bart(dropout=0.0)
    sources, targets = _pairs(24, seed=4)
    cfg = StudentConfig(batch_size=8, max_epochs=4, min_epochs=4, lr=3e-3)
    summary = train_loop(model, sources, targets, cfg, seed=0, pad_id=1, precision="bf16",
                         evaluate=lambda epoch: None)
    losses = [h["loss"] for h in summary["history"]]
    assert summary["forward"] == "unpadded"
    assert all(loss == loss for loss in losses) and losses[-1] < losses[0]  # finite, learning
    assert all(p.dtype == torch.float32 for p in model.parameters())  # weights stay fp32
