"""The CPU dropout replacement: same operation as torch's, reproducible under torch's seed."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from mckd.students.dropout import cpu_dropout, fast_dropout, rounded_p  # noqa: E402


def test_drops_at_rate_p_and_keeps_the_expectation():
    x = torch.ones(400_000)
    torch.manual_seed(0)
    with cpu_dropout():
        y = torch.nn.functional.dropout(x, p=0.3, training=True)
    dropped = (y == 0).float().mean().item()
    assert dropped == pytest.approx(0.3, abs=0.003)  # binomial sd is 0.0007
    kept = y[y != 0]
    assert torch.allclose(kept, torch.full_like(kept, 1 / (1 - rounded_p(0.3))))
    assert y.mean().item() == pytest.approx(1.0, abs=0.01)
    assert rounded_p(0.1) == pytest.approx(0.1, abs=2**-17)


def test_masks_follow_torch_seed_and_differ_between_calls():
    x = torch.ones(64, 32)

    def two_masks(seed):
        torch.manual_seed(seed)
        with cpu_dropout():
            return [torch.nn.functional.dropout(x, 0.5, True) != 0 for _ in range(2)]

    first, again, other = two_masks(1), two_masks(1), two_masks(2)
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not torch.equal(first[0], first[1])  # each call draws a new mask
    assert not torch.equal(first[0], other[0])


def test_gradient_flows_through_the_kept_elements_only():
    x = torch.randn(50, 40, requires_grad=True)
    torch.manual_seed(3)
    with cpu_dropout():
        y = torch.nn.functional.dropout(x, 0.25, True)
    y.sum().backward()
    expected = (y != 0).float() / (1 - rounded_p(0.25))
    assert torch.allclose(x.grad, expected)


def test_modules_and_eval_mode_and_the_original_function_after_the_block():
    layer = torch.nn.Dropout(0.5)  # T5-style modules call the same function
    x = torch.ones(1000)
    with cpu_dropout():
        assert torch.nn.functional.dropout is fast_dropout
        assert (layer(x) == 0).any()
        layer.eval()
        assert torch.equal(layer(x), x)  # no dropout in eval mode
        assert torch.equal(torch.nn.functional.dropout(x, 0.0, True), x)
        inplace = torch.ones(1000)
        torch.nn.functional.dropout(inplace, 0.5, True, inplace=True)  # torch's own in-place
        assert (inplace == 0).any()
    assert torch.nn.functional.dropout is not fast_dropout
    with cpu_dropout(enabled=False):
        assert torch.nn.functional.dropout is not fast_dropout
