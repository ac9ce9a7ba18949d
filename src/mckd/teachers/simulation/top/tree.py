"""TOP trees as light mutable ``Node`` trees over word positions, and their bracket score.

Corruption edits trees many times per utterance, so it works on
:class:`~mckd.teachers.simulation.constituency.tree.Node` objects (label, children) whose leaves
are word positions instead of ``nltk.Tree``. :func:`bracket_f1` is the task's sentence F1
(labeled brackets ``(label, start, end)``, the root included, counted with multiplicity); it
equals :func:`mckd.tasks.top.metrics.sentence_f1` of the rendered tree whenever the output
keeps the input's words (tests check that).
"""

from __future__ import annotations

from collections import Counter

from nltk import Tree

from mckd.tasks.constituency.metrics import SpanCounts
from mckd.tasks.slots.formats import escape_word
from mckd.tasks.top.formats import WORD
from mckd.teachers.simulation.constituency.tree import Node, walk, words_under

__all__ = ["Node", "bracket_f1", "brackets", "from_tree", "is_intent", "is_slot", "render",
           "walk", "words_under"]

Bracket = tuple[str, int, int]


def is_intent(node: Node | int) -> bool:
    """True for an intent node (``IN:...``)."""
    return isinstance(node, Node) and node.label.startswith("IN:")


def is_slot(node: Node | int) -> bool:
    """True for a slot node (``SL:...``)."""
    return isinstance(node, Node) and node.label.startswith("SL:")


def from_tree(tree: Tree) -> Node:
    """Convert a read TOP tree (words under ``WORD`` preterminals) to a ``Node`` tree."""
    count = 0

    def build(node: Tree) -> Node:
        nonlocal count
        kids: list[Node | int] = []
        for kid in node:
            if kid.label() == WORD:
                kids.append(count)
                count += 1
            else:
                kids.append(build(kid))
        return Node(node.label(), kids)

    return build(tree)


def brackets(root: Node) -> Counter[Bracket]:
    """Labeled brackets ``(label, first word, end)`` of every node (none without words)."""
    out: Counter[Bracket] = Counter()
    for _, _, node in walk(root):
        positions = words_under(node)
        if positions:
            out[(node.label, positions[0], positions[-1] + 1)] += 1
    return out


def bracket_f1(gold: Counter[Bracket], pred: Counter[Bracket]) -> float:
    """Labeled bracket F1 with multiplicity: the task's ``SpanCounts`` of the two."""
    return SpanCounts.between(gold, pred).f1


def render(root: Node, words: tuple[str, ...]) -> list[str]:
    """The canonical tree as tokens: ``[LABEL``, escaped words and ``]``."""
    out: list[str] = []

    def visit(node: Node | int) -> None:
        if not isinstance(node, Node):
            out.append(escape_word(words[node]))
            return
        out.append("[" + node.label)
        for kid in node.kids:
            visit(kid)
        out.append("]")

    visit(root)
    return out
