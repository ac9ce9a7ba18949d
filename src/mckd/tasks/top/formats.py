"""TOP trees <-> target strings (pure functions on ``nltk.Tree``).

A TOP tree (Gupta et al. 2018) is written with square brackets; a node is ``[LABEL`` (label
glued to the bracket), its children, then `` ]``; labels are intents ``IN:<NAME>`` or slots
``SL:<NAME>``; every word of the utterance appears once, in order:

    ``[IN:GET_EVENT Anything to do [SL:DATE_TIME next week ] ]``

Well-formed trees (:func:`structure_problem`): the root is an intent, an intent's children are
words and slots, a slot's children are words and intents (nested queries), no node is empty.
All 13,504 trees of TOP's eval and test files satisfy this.

Three target formats (:func:`to_target`):

``tree`` (canonical)
    the string above.
``compact``
    the same tree with every word written as :data:`PLACEHOLDER`
    (``[IN:GET_EVENT X X X [SL:DATE_TIME X X ] ]``): the words are the input's, in order, so a
    student need not copy them.
``words``
    exactly one whitespace-free symbol per input word, for students that label each word
    (token classifiers): the ``[LABEL`` of every node opening just before the word (outermost
    first), then :data:`SEPARATOR` if there was any, the placeholder, and one ``]`` per node
    closing just after the word (:func:`to_symbols`):
    ``[IN:GET_EVENT|X X X [SL:DATE_TIME|X X]]`` (6 symbols for 6 words). A TOP node holds at
    least one word, so opens only come before a word and closes only after one: the format
    is exact (one tree per symbol sequence and back). A symbol is read from its right end
    (:func:`read_symbol`): the ``]`` run, then the placeholder, then the separator, then the
    opens split at their ``[`` (a label cannot contain ``[``, ``]`` or spaces). Anchored there,
    the reading is unambiguous whatever the labels hold: ``IN:AX`` opening before a word is
    ``[IN:AX|X``, the separator being the one right before the final placeholder even if a
    label contains ``|``; the separator itself only keeps a label ending in ``X`` readable
    and marks ``[IN:AX`` (no placeholder) as malformed rather than as ``[IN:A`` plus a word.

In memory, each word sits under a preterminal labelled :data:`WORD` (the shape of
:mod:`mckd.tasks.constituency` trees, so its leaf repair applies); the readers and writers
handle that. A word that is or contains ``[``/``]`` is written ``-LSB-``/``-RSB-``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from nltk import Tree

from mckd.tasks.constituency.linearize import UNKNOWN_POS
from mckd.tasks.slots.formats import escape_word

#: label of the preterminal above each word in memory
WORD = UNKNOWN_POS
#: what every word becomes in the compact and words formats
PLACEHOLDER = "X"
#: between a words-format symbol's last open label and its placeholder
SEPARATOR = "|"
LABEL = re.compile(r"(IN|SL):[^\s\[\]]+")
_TOKEN = re.compile(r"\[|\]|[^\s\[\]]+")
_SYMBOL = re.compile(rf"(?:(?P<opens>(?:\[[^\s\[\]]+)+){re.escape(SEPARATOR)})?"
                     rf"{PLACEHOLDER}(?P<closes>\]*)")

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


def to_target(tree: Tree, fmt: str) -> str:
    """``tree`` written in target format ``fmt`` (``tree``, ``compact`` or ``words``).

    Raises:
        ValueError: unknown ``fmt``.
        MalformedTree: ``fmt`` is ``words`` and the tree has an empty node.
    """
    if fmt == "words":
        return " ".join(to_symbols(tree))
    if fmt not in ("tree", "compact"):
        raise ValueError(f"unknown TOP format {fmt!r}; valid: tree, compact, words")
    return to_string(tree, placeholder=fmt == "compact")


def word_symbol(opens: Sequence[str], closes: int) -> str:
    """One ``words``-format symbol: ``opens`` (labels, outermost first), a word, ``closes``."""
    head = "".join("[" + label for label in opens) + SEPARATOR if opens else ""
    return head + PLACEHOLDER + "]" * closes


def to_symbols(tree: Tree) -> list[str]:
    """The ``words`` format of ``tree``: one symbol per word (module docstring).

    Raises:
        MalformedTree: a node without words (it has no word to be written on).
    """
    edges: list[tuple[list[str], int]] = []  # per word: labels opened before, nodes closed after
    pending: list[str] = []

    def walk(node: Tree) -> None:
        if node.label() == WORD:
            edges.append((pending.copy(), 0))
            pending.clear()
            return
        pending.append(node.label())
        before = len(edges)
        for kid in node:
            walk(kid)
        if len(edges) == before:
            raise MalformedTree(f"node {node.label() or '(unlabeled)'} is empty")
        opens, closes = edges[-1]
        edges[-1] = (opens, closes + 1)

    walk(tree)
    return [word_symbol(opens, closes) for opens, closes in edges]


def read_symbol(symbol: str) -> tuple[tuple[str, ...], int] | None:
    """The open labels (outermost first) and the close count of one ``words`` symbol, or None
    when ``symbol`` is not ``[L1[L2...|X]...`` / ``X]...`` (labels are not checked here)."""
    match = _SYMBOL.fullmatch(symbol)
    if match is None:
        return None
    opens = match["opens"]
    labels = tuple(opens[1:].split("[")) if opens else ()
    return labels, len(match["closes"])


def words_tokens(text: str) -> tuple[list[str], int]:
    """The ``compact`` tokens (``[LABEL``, placeholders, ``]``) of a ``words`` text, and how
    many of its symbols were malformed (those are read leniently, as tree text with the
    separator as a space, for the checker to repair or reject)."""
    tokens: list[str] = []
    malformed = 0
    for symbol in text.split():
        parsed = read_symbol(symbol)
        if parsed is None:
            malformed += 1
            tokens.extend(tokenize(symbol.replace(SEPARATOR, " ")))
            continue
        opens, closes = parsed
        tokens.extend(["[" + label for label in opens] + [PLACEHOLDER] + ["]"] * closes)
    return tokens, malformed
