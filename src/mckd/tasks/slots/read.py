"""Tolerant readers of generated slot-filling text: text -> ``(word, tag or None)`` pairs.

Step 1 of the repair ladder in :mod:`.check`. A reader never raises; what it had to fix goes
into ``notes``. Words are compared with the input later, so a reader only decides which
tokens are words and which tag each word got.

Interleaved text: a tag-like token (``O``, ``B-x``, ``I-x``) right after an untagged word is
that word's tag. Any other tag-like token is a word if the input has that word (so an input
word ``O`` followed by its tag ``O`` reads right) and otherwise a stray tag, removed. A word
without a tag gets ``None``.

Bracketed text: ``[`` followed by a type opens a slot, ``]`` closes it. A ``:`` glued to the
type is dropped (``[artist: x]``); a slot still open at the end is closed (truncated output);
a ``]`` that closes nothing is removed; a ``[`` inside an open slot closes it first. When the
slot-type inventory is known, a ``[`` followed by an input word that is not a known type is a
bracket without a type: its words are tagged ``O``.
"""

from __future__ import annotations

from collections.abc import Collection

from mckd.tasks.slots.formats import is_tag, tokenize_bracketed

Pair = tuple[str, str | None]


def plural(n: int, word: str) -> str:
    """``"1 word"`` / ``"3 words"`` for repair notes."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def read_interleaved(text: str, vocabulary: Collection[str], notes: list[str]) -> list[Pair]:
    """Pair up words and tags of ``word TAG word TAG ...`` text (see the module docstring).

    Args:
        text: the generated text.
        vocabulary: the input's words.
        notes: repair notes to extend.
    """
    pairs: list[list] = []
    stray = 0
    for tok in text.split():
        if is_tag(tok):
            if pairs and pairs[-1][1] is None:
                pairs[-1][1] = tok
                continue
            if tok not in vocabulary:
                stray += 1
                continue
        pairs.append([tok, None])
    if stray:
        notes.append(f"removed {plural(stray, 'stray tag')}")
    return [(w, t) for w, t in pairs]


def read_bracketed(
    text: str,
    vocabulary: Collection[str],
    slot_types: Collection[str] | None,
    notes: list[str],
) -> list[Pair]:
    """Read ``add [artist sabrina salerno] to`` text into word/tag pairs (module docstring).

    Args:
        text: the generated text.
        vocabulary: the input's words, escaped as in the bracketed format.
        slot_types: the known slot types (lower-cased comparison), or None.
        notes: repair notes to extend.
    """
    known = None if slot_types is None else {t.lower() for t in slot_types}
    toks = tokenize_bracketed(text)
    pairs: list[Pair] = []
    counts = dict.fromkeys(("nested", "stray", "colon", "untyped"), 0)
    inside, typ, first, k = False, None, True, 0
    while k < len(toks):
        tok = toks[k]
        k += 1
        if tok == "[":
            counts["nested"] += inside
            inside, typ, first = True, None, True
            label = toks[k] if k < len(toks) else "]"
            if label in ("[", "]"):
                counts["untyped"] += 1
                continue
            stripped = label.rstrip(":")
            if known is not None and stripped.lower() not in known and label in vocabulary:
                counts["untyped"] += 1  # "[sabrina salerno]": the token is a word, not a type
                continue
            counts["colon"] += stripped != label
            typ, k = stripped or None, k + 1
        elif tok == "]":
            counts["stray"] += not inside
            inside, typ = False, None
        elif inside and typ is not None:
            pairs.append((tok, ("B-" if first else "I-") + typ))
            first = False
        else:
            pairs.append((tok, "O"))
    _note_bracket_fixes(counts, inside, notes)
    return pairs


def _note_bracket_fixes(counts: dict[str, int], unclosed: bool, notes: list[str]) -> None:
    if counts["stray"]:
        notes.append(f"removed {plural(counts['stray'], 'closing bracket')} that closed nothing")
    if unclosed:
        notes.append("closed the slot left open at the end")
    if counts["nested"]:
        notes.append(f"closed {plural(counts['nested'], 'slot')} at a nested '['")
    if counts["colon"]:
        notes.append(f"removed ':' after {plural(counts['colon'], 'slot type')}")
    if counts["untyped"]:
        notes.append(f"tagged the words of {plural(counts['untyped'], 'bracket')} without a "
                     "slot type O")
