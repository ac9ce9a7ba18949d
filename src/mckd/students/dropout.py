"""Dropout masks from a fast generator on the CPU.

``torch.nn.functional.dropout`` on a CPU tensor draws its mask with torch's Mersenne Twister on
one core: on the 2-core development machine dropping out a (32, 52, 128) activation took
~1.5 ms, longer than multiplying it by a 128 x 128 weight, and dropout was an eighth of a small
student's training step. Inside ``with cpu_dropout():`` the function is replaced by
``fast_dropout``, which draws the mask with NumPy's SFC64 bit generator instead (~0.4 ms).

It is the same operation: each element is zeroed independently with probability ``p`` and the
survivors are scaled so the expectation is unchanged; autograd provides the backward pass. The
one difference: ``p`` is rounded to a multiple of 2**-16 (16 random bits per element; 0.1
becomes 0.100006), and the scale uses the rounded value, so the expectation stays exact.

Reproducible: each block seeds its generator from torch's global generator, so
``torch.manual_seed`` still fixes every mask. Only CPU floating-point tensors take the fast
path; CUDA keeps torch's fused kernel, as do ``inplace=True`` and ``p`` of 0 or 1.

The model code calls ``torch.nn.functional.dropout`` (BART, Marian, Pegasus) or ``nn.Dropout``
modules (T5) that call it, so the replacement reaches every family. The replacement is
process-wide while the block runs; the training loop enters it around its own forward passes.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

_LEVELS = 2**16  # p is rounded to a multiple of 1 / _LEVELS

_state = threading.local()  # .generator: the active block's NumPy bit generator
_original: Any = None  # torch.nn.functional.dropout, while a block has replaced it


def rounded_p(p: float) -> float:
    """The drop probability the masks actually use for a requested ``p``."""
    return round(p * _LEVELS) / _LEVELS


def dropout_mask(shape: tuple[int, ...], p: float, generator: Any) -> Any:
    """A float32 NumPy array of ``shape``: 0 where dropped, ``1 / (1 - rounded_p(p))`` elsewhere.

    Args:
        shape: the activation's shape.
        p: drop probability, 0 < p < 1.
        generator: a NumPy bit generator (``numpy.random.SFC64``); advanced by the draw.
    """
    import numpy as np

    n = int(np.prod(shape, dtype=np.int64))
    bits = generator.random_raw((n + 3) // 4).view(np.uint16)[:n]  # 4 x 16 bits per draw
    threshold = round(p * _LEVELS)  # dropped where bits < threshold: probability rounded_p(p)
    multiplier = (bits >= threshold).astype(np.float32)
    multiplier *= _LEVELS / (_LEVELS - threshold)
    return multiplier.reshape(shape)


def fast_dropout(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:
    """``torch.nn.functional.dropout``, with the mask from ``dropout_mask`` on CPU tensors."""
    import torch

    generator = getattr(_state, "generator", None)
    fast = (generator is not None and training and not inplace and 0.0 < rounded_p(p) < 1.0
            and input.device.type == "cpu" and input.is_floating_point())
    if not fast:
        return (_original or torch.nn.functional.dropout)(input, p, training, inplace)
    mask = torch.from_numpy(dropout_mask(tuple(input.shape), p, generator))
    return input * mask.to(input.dtype)


@contextlib.contextmanager
def cpu_dropout(enabled: bool = True) -> Iterator[None]:
    """Within the block, ``torch.nn.functional.dropout`` is ``fast_dropout``.

    The block's generator is seeded from torch's global generator (one draw on entry).
    """
    global _original
    import numpy as np
    import torch

    functional = torch.nn.functional
    if not enabled or getattr(_state, "generator", None) is not None:  # off, or nested
        yield
        return
    seed = int(torch.randint(0, 2**62, (1,), dtype=torch.int64).item())
    _state.generator = np.random.SFC64(seed)
    replaced = functional.dropout is not fast_dropout
    if replaced:
        _original = functional.dropout
        functional.dropout = fast_dropout
    try:
        yield
    finally:
        _state.generator = None
        if replaced:
            functional.dropout = _original
