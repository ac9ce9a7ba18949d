"""Fitting demonstrations into a token budget.

A prompt must leave room for the answer inside the model's context window. When the selected
demos do not fit, the least useful ones (the tail of the best-first list) are dropped until the
prompt does; :class:`PackingStats` counts how often that happened so a run can report it.

Remote APIs do not expose their tokenizer, so by default tokens are *estimated*
(:func:`estimate_tokens`); pass any ``str -> int`` counter (e.g. a local tokenizer's) instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mckd.prompting.render import Demo

_PIECE = re.compile(r"\w+|[^\w\s]")

TokenCounter = Callable[[str], int]


def count_pieces(text: str) -> int:
    """Words (runs of word characters) and punctuation marks in ``text``."""
    return len(_PIECE.findall(text))


def estimate_tokens(text: str) -> int:
    """A cautious token estimate: words and punctuation marks, or one per 4 characters,
    whichever is larger (BPE vocabularies give about 4 characters of English per token and
    one token per bracket)."""
    return max(count_pieces(text), math.ceil(len(text) / 4))


@dataclass(frozen=True)
class Packed:
    """The demos that fit.

    Attributes:
        demos: kept demos in prompt order (the most useful one last, next to the query).
        dropped: ids of demos removed to fit, least useful first.
        tokens: the measured size of the prompt with the kept demos.
        fits: False when even the query alone exceeds the budget (sent without demos).
    """

    demos: tuple[Demo, ...]
    dropped: tuple[str, ...]
    tokens: int
    fits: bool


def pack(ranked: Sequence[Demo], budget: int, measure: Callable[[Sequence[Demo]], int]) -> Packed:
    """Keep the longest best-first prefix of ``ranked`` whose prompt fits ``budget`` tokens.

    Args:
        ranked: selected demos, most useful first.
        budget: the most tokens the prompt may take (context size minus the answer's room).
        measure: token count of the prompt rendered with the given demos (in prompt order).

    Returns:
        The kept demos in prompt order (reversed: most useful last) and what was dropped.
    """
    def size(n: int) -> int:
        return measure(tuple(reversed(ranked[:n])))

    full = size(len(ranked))
    if full <= budget:
        return Packed(tuple(reversed(ranked)), (), full, True)
    # prompt size grows with every demo added, so binary-search the largest prefix that fits
    low, high = 0, len(ranked) - 1
    while low < high:
        mid = (low + high + 1) // 2
        if size(mid) <= budget:
            low = mid
        else:
            high = mid - 1
    kept = ranked[:low]
    tokens = size(low)
    dropped = tuple(d.id for d in reversed(ranked[low:]))
    return Packed(tuple(reversed(kept)), dropped, tokens, tokens <= budget)


@dataclass
class PackingStats:
    """How often packing had to drop demos (for logs and the run report)."""

    prompts: int = 0
    trimmed: int = 0
    demos_dropped: int = 0
    overflowing: int = 0

    def add(self, packed: Packed) -> None:
        """Count one packed prompt."""
        self.prompts += 1
        self.trimmed += bool(packed.dropped)
        self.demos_dropped += len(packed.dropped)
        self.overflowing += not packed.fits

    def as_dict(self) -> dict[str, int]:
        """The counts as a plain dict."""
        return {"prompts": self.prompts, "trimmed": self.trimmed,
                "demos_dropped": self.demos_dropped, "overflowing": self.overflowing}
