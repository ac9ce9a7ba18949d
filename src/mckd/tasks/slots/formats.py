"""BIO tag sequences <-> slot-filling target strings (pure functions).

A sentence's slots are one BIO tag per word (``O``, ``B-<type>`` opens a slot, ``I-<type>``
continues it). Three target formats, all one line:

``interleaved`` (canonical; the MCKD authors' form): each word followed by its tag.
    ``add O sabrina B-artist salerno I-artist to O the O``
``bracketed``: each slot written ``[type words]``, other words bare.
    ``add [artist sabrina salerno] to the``
``compact``: the tags alone, one per input word (the words are the input's, so a student
    need not copy them; one symbol per word, like constituency's compact form).
    ``O B-artist I-artist O O``

A word that is or contains ``[``/``]`` is written ``-LSB-``/``-RSB-`` in the bracketed form
(the PTB convention); SNIPS has none.

Chunks (slots as ``(type, start, end)``, ``end`` exclusive) are read the way conlleval and
seqeval's default mode read them: ``B-x`` opens a chunk, ``I-x`` continues a chunk of type
``x`` and otherwise opens one (so IOB1 data and an ``I-`` that follows ``O`` still give a
chunk), and a chunk ends at ``O``, at ``B-``, or at an ``I-`` of another type.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: one BIO tag: O, B-<type>, I-<type>; a type has no whitespace or square brackets
TAG = re.compile(r"O|[BI]-[^\s\[\]]+")
ESCAPES = {"[": "-LSB-", "]": "-RSB-"}
_BRACKET_TOKEN = re.compile(r"\[|\]|[^\s\[\]]+")

Chunk = tuple[str, int, int]


def is_tag(token: str) -> bool:
    """True if ``token`` is a syntactically valid BIO tag."""
    return TAG.fullmatch(token) is not None


def tag_type(tag: str) -> str | None:
    """The slot type of ``B-x``/``I-x`` (``x``), None for ``O``."""
    return None if tag == "O" else tag[2:]


def chunks(tags: Sequence[str]) -> list[Chunk]:
    """The slots of a tag sequence as ``(type, start, end)``, conlleval-style (module doc).

    Raises:
        ValueError: a tag is not ``O``, ``B-x`` or ``I-x``.
    """
    out: list[Chunk] = []
    start, typ = 0, None
    for i, tag in enumerate([*tags, "O"]):
        if not is_tag(tag):
            raise ValueError(f"not a BIO tag: {tag!r} (expected O, B-<type> or I-<type>)")
        prefix, kind = tag[0], tag_type(tag)
        if typ is not None and (prefix != "I" or kind != typ):
            out.append((typ, start, i))
            typ = None
        if prefix == "B" or (prefix == "I" and typ is None):
            start, typ = i, kind
    return out


def tags_from_chunks(n_words: int, spans: Sequence[Chunk]) -> list[str]:
    """The IOB2 tags of ``n_words`` words holding the non-overlapping ``spans``."""
    tags = ["O"] * n_words
    for typ, start, end in spans:
        tags[start] = f"B-{typ}"
        for i in range(start + 1, end):
            tags[i] = f"I-{typ}"
    return tags


def repair_bio(tags: Sequence[str]) -> tuple[list[str], int]:
    """Rewrite tags in IOB2: an ``I-x`` that opens a chunk becomes ``B-x``.

    Returns:
        The repaired tags (same chunks, see :func:`chunks`) and how many tags changed.
    """
    fixed = tags_from_chunks(len(tags), chunks(tags))
    return fixed, sum(a != b for a, b in zip(tags, fixed))


def escape_word(word: str) -> str:
    """``[`` -> ``-LSB-``, ``]`` -> ``-RSB-`` (also inside a word); other words unchanged."""
    if "[" in word or "]" in word:
        return word.replace("[", ESCAPES["["]).replace("]", ESCAPES["]"])
    return word


def to_interleaved(words: Sequence[str], tags: Sequence[str]) -> str:
    """``word tag word tag ...`` (the canonical target)."""
    if len(words) != len(tags):
        raise ValueError(f"{len(words)} words but {len(tags)} tags")
    return " ".join(f"{w} {t}" for w, t in zip(words, tags))


def to_bracketed(words: Sequence[str], tags: Sequence[str]) -> str:
    """``add [artist sabrina salerno] to the`` (each chunk of :func:`chunks` bracketed)."""
    if len(words) != len(tags):
        raise ValueError(f"{len(words)} words but {len(tags)} tags")
    starts = {start: (typ, end) for typ, start, end in chunks(tags)}
    parts: list[str] = []
    i = 0
    while i < len(words):
        if i in starts:
            typ, end = starts[i]
            parts.append(f"[{typ} " + " ".join(escape_word(w) for w in words[i:end]) + "]")
            i = end
        else:
            parts.append(escape_word(words[i]))
            i += 1
    return " ".join(parts)


def tokenize_bracketed(text: str) -> list[str]:
    """Split bracketed text into ``[``, ``]`` and other tokens; spacing does not matter."""
    return _BRACKET_TOKEN.findall(text)


def tags_of_target(source: str, target: str) -> list[str]:
    """The tags of a canonical interleaved target for ``source`` (strict: no repair).

    Raises:
        ValueError: ``target`` is not exactly the source's words, each followed by a tag.
    """
    words, tokens = source.split(), target.split()
    if tokens[0::2] != words or len(tokens) != 2 * len(words):
        raise ValueError(f"not an interleaved target for {source!r}: {target!r}")
    tags = tokens[1::2]
    bad = [t for t in tags if not is_tag(t)]
    if bad:
        raise ValueError(f"not a BIO tag: {bad[0]!r} in {target!r}")
    return tags
