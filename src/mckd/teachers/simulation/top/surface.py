"""Surface damage to a TOP tree answer: changed or hallucinated words, broken brackets and
LLM-style layout (spacing, an echoed ``Output:``); truncation and the shared decisions are in
:mod:`mckd.teachers.simulation.surface`.

Works on the token list of the rendered answer (``[LABEL``, ``]`` and words). Word errors keep
the brackets; the checker aligns words back to the input and repairs what it can.
"""

from __future__ import annotations

import random

from mckd.teachers.simulation.surface import (
    BRACKET_ERRORS,
    PLAIN_LAYOUTS,
    changed_word,
    hallucinated_word,
    lay_out,
    unbalance,
)

WORD_ERRORS = ("drop", "duplicate", "change", "hallucinate")
MALFORMATIONS = (*BRACKET_ERRORS, "label_without_prefix")
LAYOUTS = ("compact", "spaced_labels", *PLAIN_LAYOUTS)


def is_word(token: str) -> bool:
    return not token.startswith("[") and token != "]"


def word_error(tokens: list[str], rng: random.Random) -> tuple[list[str], str]:
    """Drop, duplicate, change or hallucinate one word in a copy of ``tokens``."""
    kind = rng.choices(WORD_ERRORS, (0.3, 0.2, 0.3, 0.2))[0]
    at = rng.choice([i for i, t in enumerate(tokens) if is_word(t)])
    out = list(tokens)
    if kind == "drop":
        del out[at]
    elif kind == "duplicate":
        out.insert(at + 1, out[at])
    elif kind == "change":
        out[at] = changed_word(out[at], rng)
    else:
        out.insert(at, hallucinated_word(rng))
    return out, kind


def malform(tokens: list[str], rng: random.Random) -> tuple[list[str], str]:
    """Break the brackets of a copy of ``tokens`` in one of :data:`MALFORMATIONS`."""
    kind = rng.choice(MALFORMATIONS)
    if kind != "label_without_prefix":
        return unbalance(tokens, kind, rng, close="]", is_open=lambda t: t.startswith("[")), kind
    out = list(tokens)  # "[DESTINATION" for "[SL:DESTINATION": not a TOP label
    at = rng.choice([i for i, t in enumerate(out) if t.startswith("[")])
    out[at] = "[" + out[at][4:]
    return out, kind


def join(tokens: list[str], rng: random.Random, messy: bool) -> tuple[str, str | None]:
    """Single spaces, or (``messy``) one of :data:`LAYOUTS` (see ``lay_out``)."""
    return lay_out(tokens, rng, messy, LAYOUTS,
                   {"compact": _compact, "spaced_labels": _spaced_labels})


def _compact(tokens: list[str]) -> str:
    text = ""  # [IN:A x [SL:B y]]
    for tok in tokens:
        text += tok if tok == "]" or not text else " " + tok
    return text


def _spaced_labels(tokens: list[str]) -> str:  # [ IN:A x [ SL:B y ] ]
    return " ".join("[ " + t[1:] if t.startswith("[") else t for t in tokens)
