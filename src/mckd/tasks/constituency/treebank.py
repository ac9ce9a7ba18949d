"""Reading PTB-style treebank files and normalising their trees.

A treebank file holds bracketed trees either one per line (CRAFT) or spread over several
indented lines (LDC ``.mrg`` style), several per file. Trees are cut where the brackets balance
and parsed with ``nltk.Tree.fromstring``. Normalisation (:func:`normalize_tree`) is a pure
function: it unwraps the unlabeled outer bracket, drops ``-NONE-`` empty elements and the
constituents they leave empty, and strips function tags and co-indices from labels.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from nltk import Tree

from mckd.core.errors import DataError

logger = logging.getLogger(__name__)

OnError = Literal["raise", "skip"]

#: outer labels that only wrap the real root (CRAFT and WSJ use an empty label)
ROOT_WRAPPERS = frozenset({"", "ROOT", "TOP"})
EMPTY_ELEMENT = "-NONE-"
_FIX = "fix the tree, or skip malformed trees (CLI: --skip-malformed, API: on_error='skip')"
_FUNCTION_TAG = re.compile(r"[-=]")
#: whitespace other than ASCII's (U+200A hair space, U+00A0 no-break space, ...)
_ODD_SPACE = re.compile(r"[^\S \t\n\r\f\v]")
_BRACKET = re.compile(r"[()]")
_LDC_BANNER = "*x*"


@dataclass
class TreebankRead:
    """What :func:`read_treebank` found in one file.

    Attributes:
        path: the file read.
        trees: ``(line, tree)`` pairs; ``line`` is the 1-based line where the tree starts.
        skipped: ``(line, reason)`` for each malformed tree skipped (``on_error="skip"``).
        numbers: for each of ``trees``, its 1-based position among all trees of the file,
            malformed ones included (stable ids survive fixing a malformed tree in place).
        odd_spaces_removed: how many non-ASCII whitespace characters were removed from words.
    """

    path: str
    trees: list[tuple[int, Tree]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    odd_spaces_removed: int = 0


def read_treebank(path: str | os.PathLike[str], *, on_error: OnError = "raise") -> TreebankRead:
    """Read every tree of a PTB-style treebank file, streaming it line by line.

    PTB files separate brackets, labels and words with ASCII whitespace; any other whitespace
    (CRAFT has 22 hair, thin and no-break spaces, as in ``(NN Xpd<U+200A>TTD)``) sits inside a
    word, so it is removed (``XpdTTD``, the spelling CRAFT uses elsewhere) and counted, and
    every word survives ``" ".join`` and ``str.split``.

    Args:
        path: a UTF-8 text file of bracketed trees (one per line, or multi-line trees).
        on_error: ``"raise"`` stops at the first malformed tree with a :class:`DataError`
            naming file and line; ``"skip"`` records it in ``TreebankRead.skipped`` instead.

    Returns:
        The trees with their starting lines, and the skipped ones with reasons.

    Raises:
        DataError: missing path, a directory, non-UTF-8 bytes, a malformed tree (when
            ``on_error="raise"``), or no tree at all in the file.
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', not {on_error!r}")
    p = Path(path)
    if not p.exists():
        raise DataError("treebank file not found; check the path", path=str(p))
    if p.is_dir():
        raise DataError("is a directory; pass one treebank file", path=str(p))
    result = TreebankRead(path=str(p))
    for number, (line, text, problem) in enumerate(_cut_trees(p), start=1):
        if problem is None:
            text, removed = _ODD_SPACE.subn("", text)
            result.odd_spaces_removed += removed
            tree, problem = _parse(text)
            if tree is not None:
                result.trees.append((line, tree))
                result.numbers.append(number)
                continue
        if on_error == "raise":
            raise DataError(f"malformed tree ({problem}); {_FIX}", path=str(p), line=line)
        logger.warning("%s:%d: skipped malformed tree (%s)", p, line, problem)
        result.skipped.append((line, problem))
    if not result.trees:
        what = "every tree in it is malformed" if result.skipped else "it is empty"
        raise DataError(f"no trees found: {what}; pass a PTB-style treebank", path=str(p))
    return result


def _decoded_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, text)``; bytes are decoded per line so errors name the line."""
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DataError(
                    f"not UTF-8 text (byte {exc.start} of the line); re-encode the file as UTF-8",
                    path=str(path), line=lineno,
                ) from None
            yield lineno, text.lstrip("\ufeff") if lineno == 1 else text


def _cut_trees(path: Path) -> Iterator[tuple[int, str, str | None]]:
    """Yield ``(start line, tree text, problem)``, cutting where the brackets balance.

    A tree still open when a new line starts with ``(`` at column 0 is reported as unbalanced
    (continuation lines of multi-line trees are indented), so one missing bracket costs one
    tree, not the rest of the file. Between trees, LDC's ``*x* ... *x*`` header lines (the
    copyright banner of older Treebank releases) are skipped.
    """
    depth, start, parts = 0, 0, []
    for lineno, text in _decoded_lines(path):
        if depth == 0 and text.startswith(_LDC_BANNER):
            continue
        if depth > 0 and text.startswith("("):
            yield start, "", f"unbalanced brackets: {depth} left open"
            depth, parts = 0, []
        pos = 0  # where the current tree's text starts on this line
        for match in _BRACKET.finditer(text):
            if depth == 0:
                stray = text[pos:match.start()].strip()
                if stray or match.group() == ")":
                    what = repr(stray[:20]) if stray else "an extra ')'"
                    yield lineno, "", f"unbalanced brackets or text outside a tree: {what}"
                    break  # the rest of this line cannot be trusted
                start, pos, parts = lineno, match.start(), []
            depth += 1 if match.group() == "(" else -1
            if depth == 0:
                parts.append(text[pos:match.end()])
                yield start, " ".join(parts), None
                pos = match.end()
        else:
            if depth > 0:
                parts.append(text[pos:].strip())
            elif text[pos:].strip():
                yield lineno, "", f"text outside a tree: {text[pos:].strip()[:20]!r}"
    if depth > 0:
        yield start, "", f"unbalanced brackets: {depth} left open at end of file"


def _parse(text: str) -> tuple[Tree | None, str]:
    """Parse one balanced tree string; return ``(tree, "")`` or ``(None, reason)``."""
    try:
        tree = Tree.fromstring(text)
    except ValueError as exc:
        return None, f"nltk could not parse it: {exc}".splitlines()[0]
    problem = _shape_problem(tree, is_root=True)
    return (None, problem) if problem else (tree, "")


def _shape_problem(tree: Tree, *, is_root: bool = False) -> str:
    """Return why ``tree`` is not a proper PTB tree, or ``""``."""
    if len(tree) == 0:
        return f"constituent {tree.label()!r} has no children"
    if not is_root and tree.label() == "":
        return "a constituent below the root has no label"
    words = [child for child in tree if not isinstance(child, Tree)]
    if words and len(tree) > 1:
        return f"{tree.label()!r} has several words or mixes words and constituents ({words[0]!r})"
    if words:
        return "" if tree.label() else f"word {words[0]!r} has no POS tag"
    for child in tree:
        problem = _shape_problem(child)
        if problem:
            return problem
    return ""


@functools.lru_cache(maxsize=4096)
def strip_label(label: str) -> str:
    """Drop function tags and co-indices: ``NP-SBJ-1`` -> ``NP``, ``NP=2`` -> ``NP``.

    Labels written wholly between dashes (``-LRB-``, ``-RRB-``, ``-NONE-``) are kept whole.
    """
    if len(label) > 1 and label.startswith("-") and label.endswith("-"):
        return label
    return _FUNCTION_TAG.split(label, maxsplit=1)[0] or label


def normalize_tree(tree: Tree) -> Tree | None:
    """A normalised copy of ``tree`` (the input is not modified).

    Drops ``-NONE-`` empty elements and every constituent left without words, strips function
    tags and co-indices (:func:`strip_label`), then unwraps an outer ``""``/``ROOT``/``TOP``
    bracket that has a single constituent, so the root is e.g. ``S``, ``HEADING`` or ``TITLE``.
    POS tags (including CRAFT's ``HYPH`` and ``AFX``) are kept.

    Returns:
        The normalised tree, or None when nothing but empty elements was in it.
    """
    cleaned = _without_empty(tree)
    if cleaned is None:
        return None
    while cleaned.label() in ROOT_WRAPPERS and len(cleaned) == 1 and isinstance(cleaned[0], Tree):
        cleaned = cleaned[0]
    return cleaned


def _without_empty(tree: Tree) -> Tree | None:
    if tree.label() == EMPTY_ELEMENT:
        return None
    label = strip_label(tree.label())
    children: list[Tree | str] = []
    for child in tree:
        if isinstance(child, Tree):
            kept = _without_empty(child)
            if kept is not None:
                children.append(kept)
        else:
            children.append(child)
    return Tree(label, children) if children else None


def tree_tokens(tree: Tree) -> list[str]:
    """The words of ``tree`` in order."""
    return list(tree.leaves())


def tree_to_line(tree: Tree) -> str:
    """One-line PTB string of ``tree`` that ``nltk.Tree.fromstring`` reads back equal.

    Raises:
        ValueError: a label or word contains whitespace or a bracket (it could not be read
            back); PTB escapes brackets as ``-LRB-``/``-RRB-``.
    """
    out: list[str] = []
    _write_flat(tree, out)
    return "".join(out)


def _write_flat(tree: Tree | str, out: list[str]) -> None:
    if not isinstance(tree, Tree):
        out.append(_checked_atom(tree, "word"))
        return
    out.append("(" + _checked_atom(tree.label(), "label", allow_empty=True))
    for child in tree:
        out.append(" ")
        _write_flat(child, out)
    out.append(")")


def _checked_atom(text: str, what: str, *, allow_empty: bool = False) -> str:
    if (not text and not allow_empty) or re.search(r"[\s()]", text):
        raise ValueError(f"{what} {text!r} cannot be written in a one-line PTB tree")
    return text
