"""Validate and repair generated TOP trees against their input words.

Generated text is untrusted: any string gives a :class:`~mckd.core.records.Checked`, never an
exception. The repair ladder, in this order, each step named in ``reason``:

1. spacing is normalised (``[IN:A x]`` = ``[ IN:A x ]``); spacing alone is not a repair;
2. closing brackets that close nothing are removed, unclosed ones closed at the end
   (truncated output);
3. the tree is the top-level bracket with the most words; text before and after it (LLM
   prose, a second tree) is removed;
4. nodes without words are removed;
5. the words are matched to the input's, as for constituency parsing
   (:func:`~mckd.tasks.constituency.leaf_repair.match_leaves`): merged or split tokens are
   re-segmented; otherwise changed words are substituted, extra ones deleted and missing ones
   inserted (after the highest node ending at their left neighbour), if at most
   ``max(1, int(0.2 * n_words))`` words need it.

Not repaired (``Status.INVALID`` with the reason): a label that is not ``IN:<NAME>`` or
``SL:<NAME>``, a root that is not an intent, an intent directly inside an intent or a slot
directly inside a slot, words too far from the input. ``compact`` outputs have their
placeholders replaced by the input's words in order first (extra placeholders stay and are
deleted by step 5; missing ones are inserted). ``words`` outputs (one symbol per word,
:func:`~mckd.tasks.top.formats.to_symbols`) are first turned into compact tokens, each
symbol into its opens, a placeholder and its closes; a symbol not of that form is read as tree
text (its separator a space; noted in ``reason``), and a wrong symbol count is a wrong
placeholder count. Spacing between symbols is free, inside one it is not (a space splits a
symbol). ``target`` is always a canonical ``tree``.
"""

from __future__ import annotations

from nltk import Tree

from mckd.core.records import Checked, Status
from mckd.tasks.constituency.leaf_repair import match_leaves, plural_s
from mckd.tasks.slots.formats import escape_word
from mckd.tasks.top.formats import (
    WORD,
    MalformedTree,
    build,
    is_word,
    structure_problem,
    to_string,
    to_symbols,
    tokenize,
    words_tokens,
)

FORMATS = ("tree", "compact", "words")


def check_tree(source: str, text: str, fmt: str = "tree") -> Checked:
    """Check one output in ``fmt`` (``tree``, ``compact`` or ``words``) for ``source``.

    Raises:
        ValueError: ``fmt`` is not a TOP format (a programming error, not bad text).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown TOP format {fmt!r}; valid: {', '.join(FORMATS)}")

    def invalid(reason: str) -> Checked:
        return Checked(raw=text, target=None, status=Status.INVALID, reason=reason)

    words = [escape_word(w) for w in (source or "").split()]
    if not words:
        return invalid("input has no words")
    if not isinstance(text, str) or not text.strip():
        return invalid("empty output")
    notes: list[str] = []
    tokens = _read_tokens(text, fmt, notes)
    if fmt != "tree":
        tokens = _fill_placeholders(tokens, words)
    region = _tree_region(tokens, notes)
    if not any(map(is_word, region)):
        return invalid("no bracketed words in output")
    try:
        tree = build(region)
    except MalformedTree as exc:  # cannot happen: the region is one balanced tree
        return invalid(exc.reason)
    empty = _drop_empty(tree)
    if empty:
        notes.append(f"removed {empty} empty node{plural_s(empty)}")
    problem = structure_problem(tree) or match_leaves(tree, words, notes)
    problem = problem or structure_problem(tree)
    if problem:
        return invalid(problem)
    target = to_string(tree)
    if _as_written(tree, text, fmt):
        return Checked(raw=text, target=target, status=Status.VALID)
    if not notes:
        notes.append("rewrote in canonical form")
    return Checked(raw=text, target=target, status=Status.REPAIRED,
                   reason="repaired: " + "; ".join(notes))


def _read_tokens(text: str, fmt: str, notes: list[str]) -> list[str]:
    """Tree tokens of ``text`` (compact tokens for ``words``, noting malformed symbols)."""
    if fmt != "words":
        return tokenize(text)
    tokens, malformed = words_tokens(text)
    if malformed:
        notes.append(f"read {malformed} malformed symbol{plural_s(malformed)} as tree text")
    return tokens


def _as_written(tree: Tree, text: str, fmt: str) -> bool:
    """True when ``text`` is ``tree`` in ``fmt`` exactly, up to spacing (not a repair)."""
    if fmt == "words":
        return to_symbols(tree) == text.split()
    return tokenize(to_string(tree, placeholder=fmt == "compact")) == tokenize(text)


def _fill_placeholders(tokens: list[str], words: list[str]) -> list[str]:
    """The k-th word token becomes the k-th input word (extra placeholders stay)."""
    out, k = [], 0
    for tok in tokens:
        if is_word(tok):
            tok = words[k] if k < len(words) else tok
            k += 1
        out.append(tok)
    return out


def _tree_region(tokens: list[str], notes: list[str]) -> list[str]:
    """Ladder steps 2-3: the tokens of one balanced root (maybe without words)."""
    groups: list[tuple[int, int, list[str]]] = []  # (first index, end index, tokens)
    current: list[str] = []
    start = depth = extra = 0
    for i, tok in enumerate(tokens):
        if tok == "]" and depth == 0:
            extra += 1
        elif depth == 0 and is_word(tok):
            continue  # text outside any tree
        else:
            if depth == 0:
                current, start = [], i
            current.append(tok)
            depth += -1 if tok == "]" else 0 if is_word(tok) else 1
            if depth == 0:
                groups.append((start, i + 1, current))
    if extra:
        notes.append(f"removed {extra} closing bracket{plural_s(extra)} that closed nothing")
    if depth:
        groups.append((start, len(tokens), current + ["]"] * depth))
        notes.append(f"added {depth} closing bracket{plural_s(depth)} at the end")
    if not groups:
        return []
    first, end, best = max(groups, key=lambda g: sum(map(is_word, g[2])))  # first longest
    outside = sum(map(is_word, tokens[:first])) + sum(map(is_word, tokens[end:]))
    if outside:
        notes.append(f"removed {outside} word{plural_s(outside)} outside the tree")
    return best


def _drop_empty(node: Tree) -> int:
    """Remove labeled nodes without words (bottom-up); return how many went."""
    removed = 0
    for idx in range(len(node) - 1, -1, -1):
        kid = node[idx]
        if isinstance(kid, Tree) and kid.label() != WORD and not kid.leaves():
            del node[idx]
            removed += 1 + _count_nodes(kid)
        elif isinstance(kid, Tree):
            removed += _drop_empty(kid)
    return removed


def _count_nodes(node: Tree) -> int:
    return sum(1 + _count_nodes(k) for k in node if isinstance(k, Tree))
