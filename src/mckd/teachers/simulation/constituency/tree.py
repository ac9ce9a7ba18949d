"""A light mutable tree for corrupting gold parses quickly, and its span score.

Corruption edits a tree hundreds of times per sentence, so it works on plain ``Node`` objects
whose leaves are word positions (ints) instead of ``nltk.Tree``. Words, POS tags and which
words the metric ignores (punctuation) live in :class:`Sentence`. The task's
``span_set_f1`` of :func:`spans` is the paper's sentence F1 on this structure; it equals
``paper_sentence_f1`` of the rendered tree whenever the output keeps the input's words (tests
check that).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

from nltk import Tree

from mckd.tasks.constituency.linearize import is_preterminal

#: label given to brackets the corruption adds
ADDED_LABEL = "XP"


@dataclass
class Node:
    """A constituent: its gold label (``XP`` if added) and children (``Node`` or word index)."""

    label: str
    kids: list[Node | int] = field(default_factory=list)

    def copy(self) -> Node:
        """A deep copy (word indices are shared, they are ints)."""
        return Node(self.label, [k.copy() if isinstance(k, Node) else k for k in self.kids])


@dataclass(frozen=True)
class Sentence:
    """The fixed facts of one gold tree.

    Attributes:
        words: the words in order.
        tags: their gold POS tags.
        rank: per word, its index among the scored (non-punctuation) words, or None.
    """

    words: tuple[str, ...]
    tags: tuple[str, ...]
    rank: tuple[int | None, ...]

    @property
    def n_scored(self) -> int:
        """How many words the metric scores (punctuation excluded)."""
        return sum(r is not None for r in self.rank)


def from_nltk(tree: Tree, punct_tags: Collection[str]) -> tuple[Node, Sentence]:
    """Convert a gold tree with POS tags into a ``Node`` tree and its ``Sentence``."""
    words: list[str] = []
    tags: list[str] = []

    def walk(node: Tree) -> Node:
        kids: list[Node | int] = []
        for kid in node:
            if is_preterminal(kid):
                words.append(kid[0])
                tags.append(kid.label())
                kids.append(len(words) - 1)
            elif isinstance(kid, Tree):
                kids.append(walk(kid))
        return Node(node.label(), kids)

    root = Node("", [len(words)]) if is_preterminal(tree) else walk(tree)
    if is_preterminal(tree):
        words.append(tree[0])
        tags.append(tree.label())
    rank: list[int | None] = []
    kept = 0
    for tag in tags:
        rank.append(None if tag in punct_tags else kept)
        kept += tag not in punct_tags
    return root, Sentence(tuple(words), tuple(tags), tuple(rank))


def to_nltk(root: Node, sent: Sentence) -> Tree:
    """Back to an ``nltk.Tree`` with the gold POS tags (for ``to_paper``)."""

    def build(node: Node) -> Tree:
        return Tree(node.label, [
            build(k) if isinstance(k, Node) else Tree(sent.tags[k], [sent.words[k]])
            for k in node.kids
        ])

    return build(root)


def walk(root: Node) -> Iterator[tuple[Node | None, int, Node]]:
    """Every node, pre-order, as ``(parent, index in parent, node)`` (the root's parent None)."""
    stack: list[tuple[Node | None, int, Node]] = [(None, 0, root)]
    while stack:
        parent, idx, node = stack.pop()
        yield parent, idx, node
        for i in range(len(node.kids) - 1, -1, -1):
            kid = node.kids[i]
            if isinstance(kid, Node):
                stack.append((node, i, kid))


def words_under(node: Node | int) -> list[int]:
    """Word indices under ``node`` in order."""
    if not isinstance(node, Node):
        return [node]
    out: list[int] = []
    for kid in node.kids:
        out.extend(words_under(kid))
    return out


@dataclass
class Indexed:
    """One traversal's facts about a tree.

    Attributes:
        entries: ``(parent, index in parent, node, span)`` pre-order, the root's parent None;
            ``span`` is ``(start, end)`` in scored-word positions, None without scored words.
        span_of: ``id(node)`` -> its span, for every constituent.
        counts: how many constituents have each span over at least two scored words.
    """

    entries: list[tuple[Node | None, int, Node, tuple[int, int] | None]]
    span_of: dict[int, tuple[int, int] | None]
    counts: Counter[tuple[int, int]]

    def kid_span(self, kid: Node | int, sent: Sentence) -> tuple[int, int] | None:
        """The span of a child (constituent or word), None without scored words."""
        if isinstance(kid, Node):
            return self.span_of[id(kid)]
        r = sent.rank[kid]
        return None if r is None else (r, r + 1)

    def kids_span(self, kids: list[Node | int], sent: Sentence) -> tuple[int, int] | None:
        """The span covered by a run of children."""
        got = [s for s in (self.kid_span(k, sent) for k in kids) if s is not None]
        return (got[0][0], got[-1][1]) if got else None


def index(root: Node, sent: Sentence) -> Indexed:
    """Traverse ``root`` once (see :class:`Indexed`)."""
    out = Indexed([], {}, Counter())
    rank = sent.rank

    def visit(parent: Node | None, idx: int, node: Node) -> tuple[int, int] | None:
        slot = len(out.entries)
        out.entries.append((parent, idx, node, None))
        lo = hi = -1
        for i, kid in enumerate(node.kids):
            if isinstance(kid, Node):
                got = visit(node, i, kid)
                if got is None:
                    continue
                a, b = got
            else:
                r = rank[kid]
                if r is None:
                    continue
                a, b = r, r + 1
            if lo < 0:
                lo = a
            hi = b
        if lo < 0:
            out.span_of[id(node)] = None
            return None
        if hi - lo >= 2:
            out.counts[(lo, hi)] += 1
        out.entries[slot] = (parent, idx, node, (lo, hi))
        out.span_of[id(node)] = (lo, hi)
        return lo, hi

    visit(None, 0, root)
    return out


def spans(root: Node, sent: Sentence) -> set[tuple[int, int]]:
    """Distinct spans over at least two scored words, in scored-word positions."""
    return set(index(root, sent).counts)


def splice(parent: Node, idx: int) -> None:
    """Remove the bracket ``parent.kids[idx]``, putting its children in its place."""
    node = parent.kids[idx]
    if isinstance(node, Node):
        parent.kids[idx:idx + 1] = node.kids
