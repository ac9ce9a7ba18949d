"""Validate and repair generated slot-filling outputs against their input words.

Generated text is untrusted: any string gives a :class:`~mckd.core.records.Checked`, never an
exception. The repair ladder, each step named in ``reason``:

1. the text is read into word/tag pairs (:mod:`.read`: stray tags, unclosed or stray
   brackets); spacing alone never makes an output "repaired";
2. the output's words are aligned to the input's (difflib). Text before the first input word
   and after the last is removed; words missing at the end (a truncated output, its last word
   possibly cut short) are tagged ``O``. Inside, changed words keep their tag, missing words
   are tagged ``O`` and extra words are dropped, if at most
   ``max(1, int(MAX_EDIT_FRACTION * n_words))`` words need it; otherwise the output is invalid;
3. a word without a tag is tagged ``O``; with a slot-type inventory, a type that differs only
   in case is corrected and an unknown type becomes ``O`` (its slot is dropped);
4. an ``I-x`` that opens a slot (after ``O`` or another type) becomes ``B-x``.

The ``compact`` format (tags only, one per input word) has no words to align: tokens that are
not tags are removed, tags beyond the input's length are removed, and when tags run out
(truncated output) the remaining words are tagged ``O``; steps 3 and 4 follow.

``Checked.target`` is always the canonical interleaved string: the input's words, each
followed by a valid IOB2 tag.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Collection, Sequence

from mckd.core.records import Checked, Status
from mckd.tasks.slots.formats import (
    escape_word,
    is_tag,
    repair_bio,
    tag_type,
    to_bracketed,
    to_interleaved,
    tokenize_bracketed,
)
from mckd.tasks.slots.read import Pair, plural, read_bracketed, read_interleaved

#: share of the input's words the alignment may substitute, insert or delete (as for parsing)
MAX_EDIT_FRACTION = 0.2
FORMATS = ("interleaved", "bracketed", "compact")


def check_slots(
    source: str, text: str, fmt: str = "interleaved", slot_types: Collection[str] | None = None
) -> Checked:
    """Check one output in ``fmt`` (``interleaved``, ``bracketed`` or ``compact``).

    Args:
        source: the input words separated by spaces.
        text: the generated text (anything).
        fmt: the format ``text`` is meant to be in.
        slot_types: the known slot types; None accepts any type.

    Raises:
        ValueError: ``fmt`` is not a slot-filling format (a programming error, not bad text).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown slot-filling format {fmt!r}; valid: {', '.join(FORMATS)}")

    def invalid(reason: str) -> Checked:
        return Checked(raw=text, target=None, status=Status.INVALID, reason=reason)

    words = (source or "").split()
    if not words:
        return invalid("input has no words")
    if not isinstance(text, str) or not text.strip():
        return invalid("empty output")
    notes: list[str] = []
    if fmt == "compact":
        tags, problem = compact_tags(len(words), text, notes)
    else:
        if fmt == "interleaved":
            compare = words
            pairs = read_interleaved(text, set(words), notes)
        else:
            compare = [escape_word(w) for w in words]
            pairs = read_bracketed(text, set(compare), slot_types, notes)
        tags, problem = align_tags(compare, pairs, notes) if pairs else ([], "no words in output")
    if problem:
        return invalid(problem)
    fixed = resolve_tags(tags, slot_types, notes)
    fixed, n_bio = repair_bio(fixed)
    if n_bio:
        notes.append(f"changed {plural(n_bio, 'I- tag')} opening a slot to B-")
    target = to_interleaved(words, fixed)
    if fmt == "interleaved":
        same = text.split() == target.split()
    elif fmt == "compact":
        same = text.split() == fixed
    else:
        same = tokenize_bracketed(text) == tokenize_bracketed(to_bracketed(words, fixed))
    if same:
        return Checked(raw=text, target=target, status=Status.VALID)
    if not notes:
        notes.append("rewrote in canonical form")
    return Checked(raw=text, target=target, status=Status.REPAIRED,
                   reason="repaired: " + "; ".join(notes))


def align_tags(words: Sequence[str], pairs: Sequence[Pair], notes: list[str]
               ) -> tuple[list[str | None], str]:
    """Ladder step 2: one tag (or None: untagged) per input word, or ``([], why not)``."""
    out_words = [w for w, _ in pairs]
    if list(out_words) == list(words):
        return [t for _, t in pairs], ""
    n, m = len(words), len(out_words)
    ops = difflib.SequenceMatcher(None, words, out_words, autojunk=False).get_opcodes()
    if not any(op == "equal" for op, *_ in ops):
        return [], "no input word found in the output"
    tags: list[str | None] = ["O"] * n
    c = Counter()
    for idx, (op, i1, i2, j1, j2) in enumerate(ops):
        last = idx == len(ops) - 1
        if op == "equal":
            tags[i1:i2] = [t for _, t in pairs[j1:j2]]
        elif op == "insert":
            c["before" if i1 == 0 else "after" if i1 == n else "extra"] += j2 - j1
        elif op == "delete":
            c["truncated" if last and i2 == n and j1 == m else "missing"] += i2 - i1
        elif last and i2 == n and j2 == m and j2 - j1 == 1 and _cut_short(out_words[j1],
                                                                           words[i1]):
            c["truncated"] += i2 - i1
        else:  # replace: pair words one for one, the rest is missing or extra
            paired = min(i2 - i1, j2 - j1)
            tags[i1:i1 + paired] = [t for _, t in pairs[j1:j1 + paired]]
            c["changed"] += paired
            c["missing"] += i2 - i1 - paired
            c["extra"] += j2 - j1 - paired
    edits = c["changed"] + c["missing"] + c["extra"]
    limit = max(1, int(MAX_EDIT_FRACTION * n))
    if edits > limit:
        return [], (f"words do not match the input: {edits} of {n} words differ "
                    f"(at most {limit} can be repaired)")
    _note_alignment(c, notes)
    return tags, ""


def compact_tags(n_words: int, text: str, notes: list[str]) -> tuple[list[str | None], str]:
    """The ``compact`` reader: one tag per input word from tags-only text, or ``([], why)``."""
    tokens = text.split()
    tags: list[str | None] = [t for t in tokens if is_tag(t)]
    if not tags:
        return [], "no tags in output"
    if len(tags) < len(tokens):
        notes.append(f"removed {plural(len(tokens) - len(tags), 'non-tag token')}")
    if len(tags) > n_words:
        notes.append(f"removed {plural(len(tags) - n_words, 'extra tag')} at the end")
    elif len(tags) < n_words:
        missing = n_words - len(tags)
        notes.append(f"truncated output: the last {plural(missing, 'word')} tagged O")
        tags += ["O"] * missing
    return tags[:n_words], ""


def _cut_short(out_word: str, word: str) -> bool:
    return len(out_word) < len(word) and word.startswith(out_word)


def _note_alignment(c: Counter, notes: list[str]) -> None:
    if c["before"]:
        notes.append(f"removed {plural(c['before'], 'word')} of text before the output")
    if c["after"]:
        notes.append(f"removed {plural(c['after'], 'word')} of text after the output")
    if c["truncated"]:
        notes.append(f"truncated output: the last {plural(c['truncated'], 'word')} tagged O")
    kinds = (("changed", "changed"), ("missing", "missing (tagged O)"),
             ("extra", "extra (dropped)"))
    parts = [f"{c[k]} {what}" for k, what in kinds if c[k]]
    if parts:
        notes.append("aligned words to the input: " + ", ".join(parts))


def resolve_tags(tags: Sequence[str | None], slot_types: Collection[str] | None,
                 notes: list[str]) -> list[str]:
    """Ladder step 3: untagged words -> ``O``; slot types checked against the inventory."""
    lookup = None if slot_types is None else {t.lower(): t for t in slot_types}
    out: list[str] = []
    untagged = recased = 0
    unknown: Counter[str] = Counter()
    for tag in tags:
        typ = None if tag is None else tag_type(tag)
        if tag is None:
            untagged += 1
            out.append("O")
        elif typ is None or lookup is None or typ in slot_types:
            out.append(tag)
        elif typ.lower() in lookup:
            recased += 1
            out.append(tag[:2] + lookup[typ.lower()])
        else:
            unknown[typ] += 1
            out.append("O")
    if untagged:
        notes.append(f"tagged {plural(untagged, 'word')} without a tag O")
    if recased:
        notes.append(f"corrected the case of {plural(recased, 'slot type')}")
    if unknown:
        names = ", ".join(sorted(unknown))
        notes.append(f"set {plural(sum(unknown.values()), 'tag')} of unknown slot type "
                     f"({names}) to O")
    return out
