"""Surface damage to an interleaved slot-filling answer (``add O sabrina B-artist ...``).

Works on the answer's word/tag pairs. Word errors (a dropped, duplicated, changed or
hallucinated word) leave the tags in place, so the checker aligns words back to the input;
malformations break the tagging (a word without its tag, a stray tag, a slot type the inventory
lacks or in the wrong case, an ``I-`` opening a slot, or the whole answer written in the
bracketed form instead); loose layouts are what chat models do with whitespace and echoed
prompts. Truncation and the shared decisions are in :mod:`mckd.teachers.simulation.surface`.
"""

from __future__ import annotations

import random

from mckd.teachers.simulation.surface import (
    PLAIN_LAYOUTS,
    changed_word,
    hallucinated_word,
    lay_out,
)

Pair = tuple[str, str]

WORD_ERRORS = ("drop", "duplicate", "change", "hallucinate")
MALFORMATIONS = ("missing_tag", "stray_tag", "unknown_type", "wrong_case", "bio_violation",
                 "bracketed_answer")
LAYOUTS = (*PLAIN_LAYOUTS, "pairs_per_line")


def word_error(pairs: list[Pair], rng: random.Random) -> tuple[list[Pair], str]:
    """Drop, duplicate, change or hallucinate one word in a copy of ``pairs``."""
    kind = rng.choices(WORD_ERRORS, (0.3, 0.2, 0.3, 0.2))[0]
    at = rng.randrange(len(pairs))
    out = list(pairs)
    if kind == "drop":
        del out[at]
    elif kind == "duplicate":
        out.insert(at + 1, out[at])
    elif kind == "change":
        out[at] = (changed_word(out[at][0], rng), out[at][1])
    else:
        out.insert(at, (hallucinated_word(rng), "O"))
    return out, kind


def _invented(typ: str) -> str:
    """A slot type an LLM makes up next to ``typ`` (``artist`` -> ``artist_name``)."""
    return typ.removesuffix("_name") + "_title" if typ.endswith("_name") else typ + "_name"


def malform(pairs: list[Pair], rng: random.Random) -> tuple[list[str], str]:
    """Break the tagging of ``pairs`` in one of :data:`MALFORMATIONS` (those that apply);
    returns the answer's tokens."""
    slot_starts = [i for i, (_, t) in enumerate(pairs) if t.startswith("B-")]
    opening = [i for i in slot_starts if i == 0 or pairs[i - 1][1] == "O"]
    kinds = [k for k in MALFORMATIONS
             if k not in ("unknown_type", "wrong_case", "bracketed_answer") or slot_starts]
    kinds = [k for k in kinds if k != "bio_violation" or opening]
    kind = rng.choice(kinds)
    tokens = tokens_of(pairs)
    if kind == "missing_tag":
        del tokens[2 * rng.randrange(len(pairs)) + 1]
    elif kind == "stray_tag":
        at = rng.randrange(len(pairs))
        tokens.insert(2 * at + 2, pairs[at][1])
    elif kind == "bio_violation":
        at = rng.choice(opening)
        tokens[2 * at + 1] = "I-" + pairs[at][1][2:]
    elif kind == "bracketed_answer":
        tokens = _bracketed(pairs)
    else:
        at = rng.choice(slot_starts)
        typ = pairs[at][1][2:]
        new = _invented(typ) if kind == "unknown_type" else typ[0].upper() + typ[1:]
        for i in range(at, len(pairs)):
            if i > at and pairs[i][1] != "I-" + typ:
                break
            tokens[2 * i + 1] = pairs[i][1][:2] + new
    return tokens, kind


def _bracketed(pairs: list[Pair]) -> list[str]:
    """The answer in the bracketed form (``add [artist sabrina salerno] to``), which the
    interleaved checker does not read as tags."""
    out: list[str] = []
    for i, (word, tag) in enumerate(pairs):
        nxt = pairs[i + 1][1] if i + 1 < len(pairs) else "O"
        if tag.startswith("B-"):
            word = f"[{tag[2:]} {word}"
        if tag != "O" and not nxt.startswith("I-"):
            word += "]"
        out.append(word)
    return " ".join(out).split()


def tokens_of(pairs: list[Pair]) -> list[str]:
    """The answer's tokens: each word followed by its tag."""
    return [tok for pair in pairs for tok in pair]


def join(tokens: list[str], rng: random.Random, messy: bool) -> tuple[str, str | None]:
    """Single spaces, or (``messy``) one of :data:`LAYOUTS` (see ``lay_out``)."""
    return lay_out(tokens, rng, messy, LAYOUTS, {"pairs_per_line": _pairs_per_line})


def _pairs_per_line(tokens: list[str]) -> str:
    return "\n".join(" ".join(tokens[i:i + 2]) for i in range(0, len(tokens), 2))
