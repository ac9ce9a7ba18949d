"""TOP trees <-> target strings (pure functions on ``nltk.Tree``).

A TOP tree (Gupta et al. 2018) is written with square brackets; a node is ``[LABEL`` (label
glued to the bracket), its children, then `` ]``; labels are intents ``IN:<NAME>`` or slots
``SL:<NAME>``; every word of the utterance appears once, in order:

    ``[IN:GET_EVENT Anything to do [SL:DATE_TIME next week ] ]``

Well-formed trees (:func:`structure_problem`): the root is an intent, an intent's children are
words and slots, a slot's children are words and intents (nested queries), no node is empty.
All 13,504 trees of TOP's eval and test files satisfy this.

Two target formats: ``tree`` (canonical, the string above) and ``compact``, the same tree with
every word written as :data:`PLACEHOLDER` (``[IN:GET_EVENT X X X [SL:DATE_TIME X X ] ]``): the
words are the input's, in order, so a student need not copy them.

In memory, each word sits under a preterminal labelled :data:`WORD` (the shape of
:mod:`mckd.tasks.constituency` trees, so its leaf repair applies); the readers and writers
handle that. A word that is or contains ``[``/``]`` is written ``-LSB-``/``-RSB-``.
"""

from __future__ import annotations

import re
from collections import Counter

from nltk import Tree

from mckd.tasks.constituency.linearize import UNKNOWN_POS
from mckd.tasks.slots.formats import escape_word

#: label of the preterminal above each word in memory
WORD = UNKNOWN_POS
#: what every word becomes in the compact format
PLACEHOLDER = "X"
LABEL = re.compile(r"(IN|SL):[^\s\[\]]+")
_TOKEN = re.compile(r"\[|\]|[^\s\[\]]+")

Bracket = tuple[str, int, int]


class MalformedTree(ValueError):
    """A string is not one well-formed TOP tree; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def tokenize(text: str) -> list[str]:
    """Split into ``[LABEL`` (``[`` when no label follows), ``]`` and words; spacing is free."""
    raw = _TOKEN.findall(text)
    out: list[str] = []
    k = 0
    while k < len(raw):
        tok = raw[k]
        if tok == "[" and k + 1 < len(raw) and raw[k + 1] not in ("[", "]"):
            tok, k = "[" + raw[k + 1], k + 1
        out.append(tok)
        k += 1
    return out


def is_word(token: str) -> bool:
    """True for a word token (not ``[LABEL`` or ``]``)."""
    return not token.startswith("[") and token != "]"


def build(tokens: list[str]) -> Tree:
    """The tree of a balanced token list with one root (labels unchecked; ``""`` if missing).

    Raises:
        MalformedTree: unbalanced, several roots, or words outside the root.
    """
    stack: list[Tree] = []
    root: Tree | None = None
    for tok in tokens:
        if root is not None:
            raise MalformedTree("text after the end of the tree")
        if tok == "]":
            if not stack:
                raise MalformedTree("a closing bracket closes nothing")
            node = stack.pop()
            if stack:
                stack[-1].append(node)
            else:
                root = node
        elif tok.startswith("["):
            stack.append(Tree(tok[1:], []))
        elif not stack:
            raise MalformedTree(f"word {tok!r} outside the tree")
        else:
            stack[-1].append(Tree(WORD, [tok]))
    if stack or root is None:
        raise MalformedTree("unbalanced brackets" if stack else "no tree")
    return root


def structure_problem(tree: Tree) -> str:
    """Why ``tree`` is not a well-formed TOP tree (module docstring), or ``""``."""
    if not tree.label().startswith("IN:"):
        return f"the root is {tree.label() or 'unlabeled'!r}, not an intent (IN:...)"
    for node in tree.subtrees(lambda t: t.label() != WORD):
        if not LABEL.fullmatch(node.label()):
            return (f"label {node.label()!r} is not IN:<NAME> or SL:<NAME>" if node.label()
                    else "a bracket has no label")
        if len(node) == 0:
            return f"node {node.label()} is empty"
        kids = [k.label()[:3] for k in node if k.label() != WORD]
        if node.label()[:3] in kids:
            return (f"{node.label()} directly contains another {node.label()[:3]} node (intents "
                    "hold words and slots, slots hold words and intents)")
    return ""


def read_tree(text: str) -> Tree:
    """Read one well-formed tree (strict: nothing is repaired).

    Raises:
        MalformedTree: the text is not exactly one well-formed TOP tree.
    """
    tree = build(tokenize(text))
    problem = structure_problem(tree)
    if problem:
        raise MalformedTree(problem)
    return tree


def words(tree: Tree) -> list[str]:
    """The tree's words in order (as written, i.e. escaped)."""
    return tree.leaves()


def to_string(tree: Tree, *, placeholder: bool = False) -> str:
    """The canonical ``tree`` target, or the ``compact`` one with ``placeholder=True``."""
    if tree.label() == WORD:
        return PLACEHOLDER if placeholder else escape_word(tree[0])
    kids = " ".join(to_string(k, placeholder=placeholder) for k in tree)
    return f"[{tree.label()} {kids} ]"


def brackets(tree: Tree) -> Counter[Bracket]:
    """Labeled brackets ``(label, start, end)`` over word positions, root included."""
    out: Counter[Bracket] = Counter()

    def walk(node: Tree, start: int) -> int:
        if node.label() == WORD:
            return start + 1
        end = start
        for kid in node:
            end = walk(kid, end)
        out[(node.label(), start, end)] += 1
        return end

    walk(tree, 0)
    return out
