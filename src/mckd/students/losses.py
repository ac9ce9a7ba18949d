"""Token cross-entropy with the softmax computed once (the training loss).

``torch.nn.functional.cross_entropy`` over a student's (tokens x vocabulary) logits runs
log-softmax, then in the backward pass a zero-filled (tokens x vocabulary) gradient for the
negative log-likelihood and a log-softmax backward: three more passes over the largest tensor
of a small model's step. ``token_cross_entropy`` turns the forward pass's log-softmax into the
softmax in place and keeps it as the gradient's buffer, so the backward pass only subtracts 1
at the targets and scales in place. Same value and gradient (tested against ``cross_entropy``); on the 2-core CPU
a 1.6M-parameter student's step was 4-18% faster (two interleaved in-process measurements).
"""

from __future__ import annotations

from typing import Any

IGNORE_INDEX = -100


def _function() -> Any:
    import torch

    class TokenCrossEntropy(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, logits: Any, labels: Any) -> Any:  # (N, V) float, (N,) long
            valid = labels != IGNORE_INDEX
            targets = torch.where(valid, labels, 0)[:, None]  # (N, 1)
            logp = torch.log_softmax(logits, dim=-1)  # (N, V), one fused kernel
            loss = -(logp.gather(1, targets).squeeze(1) * valid).sum()
            probs = logp.exp_()  # softmax, in place: becomes the gradient in backward
            ctx.save_for_backward(probs, targets, valid)
            return loss

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            probs, targets, valid = ctx.saved_tensors
            probs.scatter_add_(1, targets, torch.full(targets.shape, -1.0, dtype=probs.dtype))
            probs.mul_((grad * valid)[:, None].to(probs.dtype))
            return probs, None

    return TokenCrossEntropy


_FUNCTION: Any = None


def token_cross_entropy(logits: Any, labels: Any) -> Any:
    """Summed cross-entropy of ``logits`` (N, V) against ``labels`` (N,), skipping -100.

    Equal to ``cross_entropy(logits, labels, ignore_index=-100, reduction="sum")``; the result
    can be backpropagated once (its saved buffer becomes the gradient).
    """
    global _FUNCTION
    if _FUNCTION is None:
        _FUNCTION = _function()
    return _FUNCTION.apply(logits, labels)
