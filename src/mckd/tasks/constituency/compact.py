"""Compact constituency targets for students trained from scratch.

The paper's target repeats every word (``( ( ( The ) ( dog ) ) ( barked ) ( . ) )``), so a
student with a word-level vocabulary must copy open-vocabulary words it may never have seen.
A compact target keeps only the bracketing and leaves the words to the input. Two styles:

``words`` (the default; measured to learn fastest, see ``bench/student_formats.py``)
    exactly one symbol per input word: the brackets opened before the word, a placeholder
    ``X``, and the brackets closed after it, written without spaces. Paper
    ``( ( ( The ) ( dog ) ) ( barked ) ( . ) )`` -> ``((X X) X X)``. Since every bracket has at
    least two children, no word both opens and closes one, so each symbol is ``(``*k ``X``
    (k >= 1) or ``X`` ``)``*k (k >= 0). Target length = word count.
``brackets``
    the same bracketing with spaces between every symbol: ``( ( X X ) X X )``.

Both drop the single-word brackets around each word and collapse unary chains (a bracket
with one child is replaced by that child), which the paper's span metric cannot see anyway
(it scores spans over more than one word, as a set). A one-word input is the bare ``X``.

``from_compact`` reads either style (it tokenises by characters: ``(``, ``)`` and any other
run of non-space characters is one placeholder), so a student's output never needs to say
which style it used.
"""

from __future__ import annotations

import re

from mckd.tasks.constituency.linearize import escape_leaf
from mckd.tasks.constituency.compact_constraint import (
    DEFAULT_STYLE,
    PLACEHOLDER,
    STYLES,
    CompactConstraint,
)

__all__ = [
    "DEFAULT_STYLE",
    "PLACEHOLDER",
    "STYLES",
    "CompactConstraint",
    "from_compact",
    "to_compact",
]

_TOKEN = re.compile(r"\(|\)|[^\s()]+")

# A parsed bracketing: a leaf is the index of a word, a node is a list of children.
_Node = int | list


def _parse_paper(paper_target: str) -> list:
    """Parse whitespace-separated paper form into nested lists of word indices.

    Raises:
        ValueError: unbalanced brackets or text outside one root bracket.
    """
    stack: list[list] = [[]]
    words = 0
    for tok in paper_target.split():
        if tok == "(":
            stack.append([])
        elif tok == ")":
            if len(stack) == 1:
                raise ValueError(f"unbalanced ')' in paper target {paper_target!r}")
            node = stack.pop()
            stack[-1].append(node)
        else:
            stack[-1].append(words)
            words += 1
    if len(stack) != 1:
        raise ValueError(f"{len(stack) - 1} unclosed '(' in paper target {paper_target!r}")
    return stack[0]


def _collapse(node: _Node) -> _Node:
    """Drop one-child brackets (single-word brackets and unary chains), bottom up."""
    if isinstance(node, int):
        return node
    children = [_collapse(child) for child in node]
    children = [c for c in children if not (isinstance(c, list) and not c)]  # empty "( )"
    if len(children) == 1:
        return children[0]
    return children


def _leaves(node: _Node) -> list[int]:
    if isinstance(node, int):
        return [node]
    return [leaf for child in node for leaf in _leaves(child)]


def _edge_counts(node: _Node, opens: list[int], closes: list[int]) -> None:
    """Count, per word, the brackets starting before it and ending after it."""
    if isinstance(node, int):
        return
    leaves = _leaves(node)
    opens[leaves[0]] += 1
    closes[leaves[-1]] += 1
    for child in node:
        _edge_counts(child, opens, closes)


def to_compact(source: str, paper_target: str, style: str = DEFAULT_STYLE) -> str:
    """Convert a canonical paper-form target into a compact target.

    Args:
        source: the input words joined by spaces (only its word count is used).
        paper_target: a well-formed paper-form bracketing over exactly those words.
        style: ``"words"`` (one symbol per word) or ``"brackets"``.

    Returns:
        The compact target, e.g. ``((X X) X X)`` / ``( ( X X ) X X )``.

    Raises:
        ValueError: unknown style, malformed paper target, or word-count mismatch.
    """
    if style not in STYLES:
        raise ValueError(f"unknown compact style {style!r}; choose one of {', '.join(STYLES)}")
    n = len(source.split())
    forest = [_collapse(node) for node in _parse_paper(paper_target)]
    forest = [t for t in forest if not (isinstance(t, list) and not t)]
    if len(forest) != 1:
        raise ValueError(f"paper target has {len(forest)} roots, expected 1: {paper_target!r}")
    root = forest[0]
    if len(_leaves(root)) != n:
        raise ValueError(
            f"paper target has {len(_leaves(root))} words but the source has {n}: {paper_target!r}"
        )
    opens, closes = [0] * n, [0] * n
    _edge_counts(root, opens, closes)
    symbols = [
        "(" * o + PLACEHOLDER + ")" * c for o, c in zip(opens, closes, strict=True)
    ]
    if style == "words":
        return " ".join(symbols)
    return " ".join(" ".join(sym) for sym in symbols)


def from_compact(source: str, compact_text: str) -> str:
    """Put the source words back into a compact target (either style), giving paper form.

    Never raises: a wrong placeholder count or unbalanced brackets come back as best-effort
    paper-form text (missing words left out, surplus placeholders kept as ``( X )``) for the
    task's checker to repair or reject with a reason. Words that are brackets are escaped
    (``(`` -> ``-LRB-``) as in every paper-form target.

    Args:
        source: the input words joined by spaces.
        compact_text: what a student generated.

    Returns:
        Paper-form text, e.g. ``( ( ( The ) ( dog ) ) ( barked ) ( . ) )``.
    """
    words = [escape_leaf(w) for w in source.split()]
    out: list[str] = []
    i = 0
    for tok in _TOKEN.findall(compact_text):
        if tok in "()":
            out.append(tok)
            continue
        word = words[i] if i < len(words) else tok
        i += 1
        out.extend(("(", word, ")"))
    return " ".join(out)
