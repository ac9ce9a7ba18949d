"""Surface damage shared by every task's error model: the three surface decisions of an answer
(word error, malformed or truncated output, loose layout), word-level slips, unbalanced
brackets and the plain loose layouts.

A simulated answer is a list of tokens (words plus the task's markup); a task supplies how its
answer gets a word error, how it is malformed and how it is laid out (its ``surface`` module),
and :func:`damage` applies them at the configured rates. Each decision draws from the example's
surface stream in a fixed order, so an example's damage never depends on other examples.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from mckd.config.teacher import SimulatedTeacherConfig

A = TypeVar("A")

#: a few near-synonyms and inflection slips an LLM makes when copying words
_SWAPS = {
    "the": "a", "a": "the", "an": "a", "is": "was", "was": "is", "are": "were", "were": "are",
    "and": "&", "of": "in", "in": "of", "to": "into", "with": "by", "by": "with", "which": "that",
    "that": "which", "mice": "mouse", "mouse": "mice", "gene": "genes", "genes": "gene",
    "cells": "cell", "cell": "cells", "protein": "proteins", "proteins": "protein",
    "%": "percent",
}
#: words an LLM adds that the input does not have (fillers and function words)
HALLUCINATIONS = ("the", "a", "please", "me", "to", "my", "some", "now", "for", "of")
#: ways to unbalance a bracketed answer (:func:`unbalance`)
BRACKET_ERRORS = ("missing_final_brackets", "missing_inner_bracket", "extra_bracket",
                  "missing_open_bracket")
#: loose layouts every task shares (:func:`plain_layout`)
PLAIN_LAYOUTS = ("double_spaces", "trailing_newline", "echoed_prompt")


def damage(
    answer: A,
    rng: random.Random,
    config: SimulatedTeacherConfig,
    *,
    word_error: Callable[[A, random.Random], tuple[A, str]],
    tokens: Callable[[A], list[str]],
    malform: Callable[[A, random.Random], tuple[list[str], str]],
    join: Callable[[list[str], random.Random, bool], tuple[str, str | None]],
) -> tuple[str, str, dict[str, Any]]:
    """Apply surface damage to one answer at the rates of ``config``.

    The three decisions are always drawn (so streams stay aligned): a word error
    (``word_error_rate``), then truncation (``truncated_rate``) or else a malformation
    (``malformed_rate``), then a loose layout (``loose_format_rate``).

    Args:
        answer: the rendered answer in the task's own shape (e.g. tokens, word/tag pairs).
        rng: the example's surface stream.
        config: the rates.
        word_error: one word error on the answer -> (answer, kind).
        tokens: the answer's tokens.
        malform: the answer -> (malformed tokens, kind).
        join: tokens -> (text, layout or None), loosely laid out when asked.

    Returns:
        The text, the finish reason ("stop" or "length") and what was done
        (``word_error``, ``malformed``, ``truncated``, ``layout``).
    """
    u_fail, u_word, u_messy = rng.random(), rng.random(), rng.random()
    done: dict[str, Any] = {"word_error": None, "malformed": None, "truncated": False,
                            "layout": None}
    if u_word < config.word_error_rate:
        answer, done["word_error"] = word_error(answer, rng)
    toks = tokens(answer)
    finish = "stop"
    if u_fail < config.truncated_rate:
        toks, finish, done["truncated"] = truncate(toks, rng), "length", True
    elif u_fail < config.truncated_rate + config.malformed_rate:
        toks, done["malformed"] = malform(answer, rng)
    text, done["layout"] = join(toks, rng, u_messy < config.loose_format_rate)
    return text, finish, done


def changed_word(word: str, rng: random.Random) -> str:
    """``word`` as an LLM miscopies it: a near-synonym, a case slip or a typo."""
    swap = _SWAPS.get(word.lower())
    if swap is not None and rng.random() < 0.6:
        return swap.capitalize() if word[:1].isupper() else swap
    if word[:1].isalpha() and rng.random() < 0.5:
        return word[0].swapcase() + word[1:]  # case slip
    if len(word) >= 4:  # typo: two adjacent letters swapped
        i = rng.randrange(len(word) - 1)
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word + word[-1]


def hallucinated_word(rng: random.Random) -> str:
    """A word the input may not have, as an LLM adds one."""
    return rng.choice(HALLUCINATIONS)


def truncate(tokens: list[str], rng: random.Random) -> list[str]:
    """Cut a copy of ``tokens`` somewhere between 30% and 95% of its length."""
    keep = max(1, int(len(tokens) * rng.uniform(0.3, 0.95)))
    return tokens[:keep]


def unbalance(tokens: list[str], kind: str, rng: random.Random, *, close: str,
              is_open: Callable[[str], bool]) -> list[str]:
    """A copy of ``tokens`` with unbalanced brackets, one of :data:`BRACKET_ERRORS`.

    Args:
        tokens: the answer's tokens.
        kind: which error.
        rng: the example's surface stream.
        close: the closing bracket token (``)``, ``]``).
        is_open: whether a token opens a bracket (``(``, ``[LABEL``).
    """
    out = list(tokens)
    closers = [i for i, t in enumerate(out) if t == close]
    openers = [i for i, t in enumerate(out) if is_open(t)]
    if kind == "missing_final_brackets":
        n = 1
        while n < 3 and n < len(out) and out[-n - 1] == close and rng.random() < 0.6:
            n += 1
        del out[-n:]
    elif kind == "missing_inner_bracket":
        del out[rng.choice(closers[:-1] or closers)]
    elif kind == "extra_bracket":
        out.insert(rng.choice(closers) + 1, close)
    else:
        del out[rng.choice(openers[1:] or openers)]
    return out


def lay_out(tokens: list[str], rng: random.Random, messy: bool, layouts: Sequence[str],
            own: dict[str, Callable[[list[str]], str]] | None = None) -> tuple[str, str | None]:
    """Join tokens with single spaces, or (``messy``) in one of ``layouts``, an LLM's looser
    ways of writing the answer: :func:`plain_layout`'s, or the task's ``own`` (style -> text).

    Returns:
        The text and the layout used (None for the plain one).
    """
    if not messy:
        return " ".join(tokens), None
    style = rng.choice(layouts)
    write = (own or {}).get(style)
    return (write(tokens) if write else plain_layout(tokens, style)), style


def plain_layout(tokens: list[str], style: str) -> str:
    """``tokens`` in one of :data:`PLAIN_LAYOUTS`: doubled spaces, a trailing newline, or the
    prompt's ``Output:`` echoed before the answer."""
    if style == "double_spaces":
        return "  ".join(tokens)
    if style == "trailing_newline":
        return " ".join(tokens) + "\n"
    if style == "echoed_prompt":
        return "Output: " + " ".join(tokens)
    raise ValueError(f"not a plain layout: {style!r}")
