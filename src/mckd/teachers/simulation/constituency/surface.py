"""Surface damage to a paper-form answer: changed words, unbalanced brackets, and LLM-style
formatting (irregular spacing, an echoed ``Output:``); truncation and the shared decisions are
in :mod:`mckd.teachers.simulation.surface`.

Works on the token list of the rendered answer (``(``, ``)`` and words). Word errors keep the
bracket structure; the checker aligns words back to the input and repairs what it can.
"""

from __future__ import annotations

import random

from mckd.teachers.simulation.surface import (
    BRACKET_ERRORS,
    PLAIN_LAYOUTS,
    changed_word,
    lay_out,
    unbalance,
)

WORD_ERRORS = ("drop", "duplicate", "change")
LAYOUTS = ("compact", *PLAIN_LAYOUTS)
MALFORMATIONS = BRACKET_ERRORS


def word_error(tokens: list[str], scored: list[int], rng: random.Random) -> tuple[list[str], str]:
    """Drop, duplicate or change one word (a word token index from ``scored``) in a copy."""
    kind = rng.choices(WORD_ERRORS, (0.35, 0.25, 0.4))[0]
    at = rng.choice(scored)
    out = list(tokens)
    if kind == "drop":
        del out[at]
    elif kind == "duplicate":
        out.insert(at + 1, out[at])
    else:
        out[at] = changed_word(out[at], rng)
    return out, kind


def malform(tokens: list[str], rng: random.Random) -> tuple[list[str], str]:
    """Unbalance the brackets of a copy of ``tokens`` in one of four ways."""
    kind = rng.choice(MALFORMATIONS)
    return unbalance(tokens, kind, rng, close=")", is_open=lambda t: t == "("), kind


def join(tokens: list[str], rng: random.Random, messy: bool) -> tuple[str, str | None]:
    """Single spaces, or (``messy``) one of :data:`LAYOUTS` (see ``lay_out``)."""
    return lay_out(tokens, rng, messy, LAYOUTS, {"compact": _compact})


def _compact(tokens: list[str]) -> str:
    text = ""  # ((The) (dog))
    for tok in tokens:
        glue = tok == ")" or text.endswith("(") or not text
        text += tok if glue else " " + tok
    return text
