"""Trees <-> target strings for constituency parsing (pure functions).

Two target formats, both one line, both read back by a tolerant reader:

``paper`` (the canonical target, the MCKD paper's): labels and POS tags dropped, every word
    written ``( word )``, every constituent over more than one word wrapped in ``( ... )``;
    unary chains collapse (a constituent over one word is just ``( word )``; a constituent
    whose only child covers the same words is bracketed once).
    ``(S (NP (DT The) (NN dog)) (VP (VBD barked)) (. .))`` -> ``( ( ( The ) ( dog ) ) ( barked ) ( . ) )``

``labeled``: the tree without POS tags. A constituent is ``(LABEL`` (label glued to the
    bracket), its children, then `` )``; words are bare tokens. Every constituent above the
    POS level is kept, single-word ones and unary chains included, so the EVALB labeled score
    of a gold tree against its own labeled form is 100.
    ``(S (NP (DT The) (NN dog)) (VP (VBD barked)) (. .))`` -> ``(S (NP The dog ) (VP barked ) . )``

Brackets are structure, so a word that is or contains ``(``/``)`` is escaped as ``-LRB-`` /
``-RRB-`` when written (PTB's own convention); readers return the escaped form.

Trees returned by the readers have the gold trees' shape: each word sits under a preterminal
labelled :data:`UNKNOWN_POS`; paper-form constituents have the empty label ``""``.
"""

from __future__ import annotations

import re

from nltk import Tree

#: POS label given to words of trees read from targets (targets carry no POS tags)
UNKNOWN_POS = "XX"
#: how words that are brackets are written in targets
ESCAPES = {"(": "-LRB-", ")": "-RRB-"}

_PAPER_TOKEN = re.compile(r"[()]|[^\s()]+")
_LABELED_TOKEN = re.compile(r"\([^\s()]*|\)|[^\s()]+")
_LABEL_GLUED = re.compile(r"\([^\s()]")


class MalformedTarget(ValueError):
    """A target string is not one well-formed tree; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def escape_leaf(word: str) -> str:
    """``(`` -> ``-LRB-`` and ``)`` -> ``-RRB-`` (also inside a word); other words unchanged."""
    if "(" in word or ")" in word:
        return word.replace("(", ESCAPES["("]).replace(")", ESCAPES[")"])
    return word


def is_preterminal(node: Tree | str) -> bool:
    """True for a POS node: a tree whose only child is a word."""
    return isinstance(node, Tree) and len(node) == 1 and isinstance(node[0], str)


def tokenize_paper(text: str) -> list[str]:
    """Split paper-form text into ``(``, ``)`` and words; spacing does not matter."""
    return _PAPER_TOKEN.findall(text)


def tokenize_labeled(text: str) -> list[str]:
    """Split labeled text into ``(LABEL`` (``(`` when unlabeled), ``)`` and words."""
    return _LABELED_TOKEN.findall(text)


def to_paper(tree: Tree) -> str:
    """The paper's unlabeled target for ``tree`` (see the module docstring).

    Raises:
        MalformedTarget: the tree has no words.
    """
    out: list[str] = []
    _emit_paper(tree, out)
    if not out:
        raise MalformedTarget("tree has no words")
    return " ".join(out)


def _emit_paper(node: Tree | str, out: list[str]) -> None:
    if isinstance(node, str):
        out.extend(("(", escape_leaf(node), ")"))
        return
    kids = [k for k in node if isinstance(k, str) or k.leaves()]
    while len(kids) == 1 and isinstance(kids[0], Tree):  # unary chain: bracket once
        kids = [k for k in kids[0] if isinstance(k, str) or k.leaves()]
    if len(kids) == 1:  # one word left
        _emit_paper(kids[0], out)
        return
    if not kids:
        return
    out.append("(")
    for kid in kids:
        _emit_paper(kid, out)
    out.append(")")


def to_labeled(tree: Tree) -> str:
    """The labeled target for ``tree``: constituents kept with labels, POS tags dropped.

    A tree that is a bare preterminal is written ``( word )``.

    Raises:
        MalformedTarget: the tree has no words.
    """
    if is_preterminal(tree):
        return f"( {escape_leaf(tree[0])} )"
    out: list[str] = []
    _emit_labeled(tree, out)
    if not out:
        raise MalformedTarget("tree has no words")
    return " ".join(out)


def _emit_labeled(node: Tree | str, out: list[str]) -> None:
    if isinstance(node, str):
        out.append(escape_leaf(node))
    elif is_preterminal(node):
        out.append(escape_leaf(node[0]))
    elif node.leaves():
        out.append("(" + node.label())
        for kid in node:
            _emit_labeled(kid, out)
        out.append(")")


def from_paper(text: str) -> Tree:
    """Read a paper-form string (tolerant of spacing: ``((The)(dog))`` reads fine).

    Words not inside their own bracket are accepted as words.

    Raises:
        MalformedTarget: unbalanced brackets, an empty bracket, several roots, words outside
            the root, or no words at all.
    """
    return build_tree(tokenize_paper(text), labeled=False)


def from_labeled(text: str) -> Tree:
    """Read a labeled string (labels must be glued to their bracket: ``(NP``).

    An unlabeled bracket around exactly one word is read as that word, as in paper form.

    Raises:
        MalformedTarget: as :func:`from_paper`.
    """
    return build_tree(tokenize_labeled(text), labeled=True)


def is_labeled_target(text: str) -> bool:
    """True when a *canonical* target string carries labels (some ``(`` has a glued label)."""
    return _LABEL_GLUED.search(text) is not None


def read_target(text: str) -> Tree:
    """Read a canonical target of either format (as produced by the check functions)."""
    return from_labeled(text) if is_labeled_target(text) else from_paper(text)


def build_tree(tokens: list[str], *, labeled: bool) -> Tree:
    """Build a tree from target tokens (see :func:`tokenize_paper`, :func:`tokenize_labeled`).

    Raises:
        MalformedTarget: with the reason the tokens are not exactly one tree.
    """
    stack: list[tuple[str, list[Tree]]] = []
    root: Tree | None = None
    for tok in tokens:
        if tok.startswith("("):
            if root is not None:
                raise MalformedTarget("more than one root bracket")
            stack.append((tok[1:] if labeled else "", []))
        elif tok == ")":
            if not stack:
                raise MalformedTarget("unbalanced brackets: a ')' closes nothing")
            label, kids = stack.pop()
            if not kids:
                raise MalformedTarget("empty bracket '( )'")
            if label == "" and len(kids) == 1 and is_preterminal(kids[0]):
                node = kids[0]  # ( word ), or a redundant bracket around one
            else:
                node = Tree(label, kids)
            if stack:
                stack[-1][1].append(node)
            else:
                root = node
        else:
            if not stack:
                raise MalformedTarget(f"word {tok!r} outside the root bracket")
            stack[-1][1].append(Tree(UNKNOWN_POS, [tok]))
    if stack:
        raise MalformedTarget(f"unbalanced brackets: {len(stack)} left open")
    if root is None:
        raise MalformedTarget("no bracketed tree")
    return Tree("", [root]) if is_preterminal(root) else root


def constituents(tree: Tree) -> list[tuple[str, int, int]]:
    """``(label, start, end)`` of every constituent above the POS level, end exclusive.

    Positions index the tree's leaves; the root is included; constituents without words are
    left out. A word sitting directly under a phrase (no POS node) counts as one leaf.
    """
    out: list[tuple[str, int, int]] = []

    def walk(node: Tree | str, start: int) -> int:
        if isinstance(node, str) or is_preterminal(node):
            return start + 1
        end = start
        for kid in node:
            end = walk(kid, end)
        if end > start:
            out.append((node.label(), start, end))
        return end

    walk(tree, 0)
    return out


def spans(tree: Tree, min_len: int = 2) -> set[tuple[int, int]]:
    """Distinct unlabeled ``(start, end)`` spans covering at least ``min_len`` leaves."""
    return {(s, e) for _, s, e in constituents(tree) if e - s >= min_len}
