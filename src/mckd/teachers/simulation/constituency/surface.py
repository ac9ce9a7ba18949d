"""Surface damage to a paper-form answer: changed words, unbalanced brackets, truncation, and
LLM-style formatting (irregular spacing, an echoed ``Output:``).

Works on the token list of the rendered answer (``(``, ``)`` and words). Word errors keep the
bracket structure; the checker aligns words back to the input and repairs what it can.
"""

from __future__ import annotations

import random

#: a few near-synonyms and inflection slips an LLM makes when copying words
_SWAPS = {
    "the": "a", "a": "the", "an": "a", "is": "was", "was": "is", "are": "were", "were": "are",
    "and": "&", "of": "in", "in": "of", "to": "into", "with": "by", "by": "with", "which": "that",
    "that": "which", "mice": "mouse", "mouse": "mice", "gene": "genes", "genes": "gene",
    "cells": "cell", "cell": "cells", "protein": "proteins", "proteins": "protein",
    "%": "percent",
}
WORD_ERRORS = ("drop", "duplicate", "change")
LAYOUTS = ("compact", "double_spaces", "trailing_newline", "echoed_prompt")
MALFORMATIONS = ("missing_final_brackets", "missing_inner_bracket", "extra_bracket",
                 "missing_open_bracket")


def _changed(word: str, rng: random.Random) -> str:
    swap = _SWAPS.get(word.lower())
    if swap is not None and rng.random() < 0.6:
        return swap.capitalize() if word[:1].isupper() else swap
    if word[:1].isalpha() and rng.random() < 0.5:
        return word[0].swapcase() + word[1:]  # case slip
    if len(word) >= 4:  # typo: two adjacent letters swapped
        i = rng.randrange(len(word) - 1)
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word + word[-1]


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
        out[at] = _changed(out[at], rng)
    return out, kind


def malform(tokens: list[str], rng: random.Random) -> tuple[list[str], str]:
    """Unbalance the brackets of a copy of ``tokens`` in one of four ways."""
    kind = rng.choice(MALFORMATIONS)
    out = list(tokens)
    closers = [i for i, t in enumerate(out) if t == ")"]
    openers = [i for i, t in enumerate(out) if t == "("]
    if kind == "missing_final_brackets":
        n = 1
        while n < 3 and n < len(out) and out[-n - 1] == ")" and rng.random() < 0.6:
            n += 1
        del out[-n:]
    elif kind == "missing_inner_bracket":
        del out[rng.choice(closers[:-1] or closers)]
    elif kind == "extra_bracket":
        out.insert(rng.choice(closers) + 1, ")")
    else:
        del out[rng.choice(openers[1:] or openers)]
    return out, kind


def truncate(tokens: list[str], rng: random.Random) -> list[str]:
    """Cut a copy of ``tokens`` somewhere between 30% and 95% of its length."""
    keep = max(1, int(len(tokens) * rng.uniform(0.3, 0.95)))
    return tokens[:keep]


def join(tokens: list[str], rng: random.Random, messy: bool) -> tuple[str, str | None]:
    """Join tokens with single spaces, or (``messy``) in one of an LLM's looser layouts.

    Returns:
        The text and the layout used (None for the plain one).
    """
    if not messy:
        return " ".join(tokens), None
    style = rng.choice(LAYOUTS)
    if style == "compact":  # ((The) (dog))
        text = ""
        for tok in tokens:
            glue = tok == ")" or text.endswith("(") or not text
            text += tok if glue else " " + tok
    elif style == "double_spaces":
        text = "  ".join(tokens)
    elif style == "trailing_newline":
        text = " ".join(tokens) + "\n"
    else:
        text = "Output: " + " ".join(tokens)
    return text, style
