"""Building a demonstration selector by name (``prompt.selection`` in a teacher config)."""

from __future__ import annotations

from collections.abc import Sequence

from mckd.core.errors import ConfigError
from mckd.prompting.demos import BM25Selector, DemoSelector, FixedSelector, RandomSelector
from mckd.prompting.dense import DenseSelector, Encoder
from mckd.prompting.render import Demo

SELECTION_METHODS = ("random", "fixed", "bm25", "dense")


def make_selector(method: str, pool: Sequence[Demo], k: int, seed: int, *,
                  encoder: Encoder | None = None) -> DemoSelector:
    """Build the selector named ``method`` over ``pool``.

    Args:
        encoder: the sentence encoder of ``dense`` (see
            :func:`mckd.prompting.encoders.load_encoder`); unused by the other methods.

    Raises:
        ConfigError: unknown method, negative ``k``, duplicate demo ids, or ``dense`` without
            an encoder.
    """
    if method == "random":
        return RandomSelector(pool, k, seed)
    if method == "fixed":
        return FixedSelector(pool, k, seed)
    if method == "bm25":
        return BM25Selector(pool, k)
    if method == "dense":
        if encoder is None:
            raise ConfigError("dense demo selection needs an encoder (prompt.dense.encoder)")
        return DenseSelector(pool, k, encoder)
    raise ConfigError(
        f"unknown demonstration selection {method!r}; valid choices: {', '.join(SELECTION_METHODS)}"
    )
