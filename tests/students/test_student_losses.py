"""The training loss: token_cross_entropy equals torch's cross_entropy, value and gradient."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from mckd.students.losses import token_cross_entropy  # noqa: E402


def _both(logits, labels):
    a = logits.detach().clone().requires_grad_()
    b = logits.detach().clone().requires_grad_()
    ref = torch.nn.functional.cross_entropy(a, labels, ignore_index=-100, reduction="sum")
    ours = token_cross_entropy(b, labels)
    (ref * 0.37).backward()
    (ours * 0.37).backward()
    return ref, ours, a.grad, b.grad


def test_value_and_gradient_match_cross_entropy_with_ignored_positions():
    torch.manual_seed(0)
    logits = torch.randn(64, 300) * 4
    labels = torch.randint(0, 300, (64,))
    labels[::5] = -100  # padding
    ref, ours, ref_grad, our_grad = _both(logits, labels)
    assert ours.item() == pytest.approx(ref.item(), rel=1e-6)
    assert torch.allclose(our_grad, ref_grad, atol=1e-6)
    assert torch.count_nonzero(our_grad[::5]) == 0  # ignored rows get no gradient


def test_hand_computed_case_and_extreme_logits_stay_finite():
    logits = torch.tensor([[0.0, 0.0], [1000.0, -1000.0]])
    labels = torch.tensor([1, 1])
    ref, ours, ref_grad, our_grad = _both(logits, labels)
    assert ours.item() == pytest.approx(torch.log(torch.tensor(2.0)).item() + 2000.0)
    assert torch.isfinite(our_grad).all() and torch.allclose(our_grad, ref_grad)
    assert our_grad[0].tolist() == pytest.approx([0.5 * 0.37, -0.5 * 0.37])
