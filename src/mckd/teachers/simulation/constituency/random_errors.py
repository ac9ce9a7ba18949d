"""Random, instance-specific bracketing errors, applied until a sentence reaches its planned F1.

Three kinds, drawn with fixed weights, each touching a constituent over two or more scored
words (edits the metric cannot see are not drawn):

- ``attachment``: a constituent's boundary moves by one child: it swallows its left or right
  sibling, or lets its first or last child go to its parent (wrong attachment, e.g. a PP
  attached to the verb instead of the noun);
- ``flatten``: a bracket disappears (its children join its parent);
- ``spurious``: a bracket is added over two or more adjacent children of a constituent.

Edits go one at a time, in place, each with its undo. An edit changes at most one span (the
parent's words stay the same), so the score is updated from that change alone. An edit that
does not lower the score is mostly undone (an LLM's answer drifts away from the gold, it does
not wander around it). When an edit takes the score from above the plan to at or below it, it
is kept with the probability that makes the expected score equal the plan, so scores are
unbiased rather than always just under the plan.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

from mckd.teachers.simulation.constituency.tree import (
    ADDED_LABEL,
    Indexed,
    Node,
    Sentence,
    index,
)

KINDS = ("attachment", "flatten", "spurious")
_WEIGHTS = (0.5, 0.25, 0.25)
_KEEP_UNHELPFUL = 0.2  # chance to keep an edit that does not lower the score

Span = tuple[int, int] | None
#: what an edit did: how to undo it, the span it removed and the span it added
Edit = tuple[Callable[[], None], Span, Span]


def _attachment(ix: Indexed, sent: Sentence, rng: random.Random) -> Edit | None:
    choices = []
    for parent, i, node, span in ix.entries:
        if parent is None or span is None:
            continue
        if i + 1 < len(parent.kids) and ix.kid_span(parent.kids[i + 1], sent) is not None:
            choices.append(("right", parent, i, node, span))
        if i > 0 and ix.kid_span(parent.kids[i - 1], sent) is not None:
            choices.append(("left", parent, i, node, span))
        if len(node.kids) >= 2 and span[1] - span[0] >= 2:
            choices.extend([("drop_last", parent, i, node, span),
                            ("drop_first", parent, i, node, span)])
    if not choices:
        return None
    how, parent, i, node, span = rng.choice(choices)
    if how == "right":
        sib = ix.kid_span(parent.kids[i + 1], sent)
        node.kids.append(parent.kids.pop(i + 1))
        return lambda: parent.kids.insert(i + 1, node.kids.pop()), span, (span[0], sib[1])
    if how == "left":
        sib = ix.kid_span(parent.kids[i - 1], sent)
        node.kids.insert(0, parent.kids.pop(i - 1))
        return lambda: parent.kids.insert(i - 1, node.kids.pop(0)), span, (sib[0], span[1])
    if how == "drop_last":
        parent.kids.insert(i + 1, node.kids.pop())
        return (lambda: node.kids.append(parent.kids.pop(i + 1)), span,
                ix.kids_span(node.kids, sent))
    parent.kids.insert(i, node.kids.pop(0))
    return lambda: node.kids.insert(0, parent.kids.pop(i)), span, ix.kids_span(node.kids, sent)


def _flatten(ix: Indexed, sent: Sentence, rng: random.Random) -> Edit | None:
    choices = [(p, i, n, span) for p, i, n, span in ix.entries
               if p is not None and span is not None and span[1] - span[0] >= 2]
    if not choices:
        return None
    parent, i, node, span = rng.choice(choices)
    width = len(node.kids)
    parent.kids[i:i + 1] = node.kids

    def undo() -> None:
        parent.kids[i:i + width] = [node]

    return undo, span, None


def _spurious(ix: Indexed, sent: Sentence, rng: random.Random) -> Edit | None:
    choices = [n for _, _, n, span in ix.entries
               if len(n.kids) >= 3 and span is not None and span[1] - span[0] >= 3]
    if not choices:
        return None
    node = rng.choice(choices)
    width = rng.randint(2, len(node.kids) - 1)
    start = rng.randint(0, len(node.kids) - width)
    added = Node(ADDED_LABEL, node.kids[start:start + width])
    node.kids[start:start + width] = [added]

    def undo() -> None:
        node.kids[start:start + 1] = added.kids

    return undo, None, ix.kids_span(added.kids, sent)


_EDITS = {"attachment": _attachment, "flatten": _flatten, "spurious": _spurious}


def _f1(gold: set[tuple[int, int]], counts: Counter[tuple[int, int]]) -> float:
    if not gold and not counts:
        return 1.0
    matched = sum(1 for s in counts if s in gold)
    return 2 * matched / (len(gold) + len(counts)) if matched else 0.0


def _shift(counts: Counter[tuple[int, int]], span: Span, by: int) -> None:
    if span is not None and span[1] - span[0] >= 2:
        counts[span] += by
        if counts[span] <= 0:
            del counts[span]


def corrupt_to(
    root: Node,
    sent: Sentence,
    gold: set[tuple[int, int]],
    plan: float,
    rng: random.Random,
    keep_u: float,
) -> tuple[Node, float, Counter[str]]:
    """Edit a copy of ``root`` at random until its F1 against ``gold`` is about ``plan``.

    Args:
        root: the tree to start from (not modified).
        sent: its sentence.
        gold: gold span set (see ``tree.spans``).
        plan: planned F1 in [0, 1].
        rng: the example's random stream for edits.
        keep_u: a uniform draw in [0, 1) deciding whether the edit that crosses the plan is kept.

    Returns:
        The corrupted tree, its F1 and how many edits of each kind were kept.
    """
    current = root.copy()
    ix = index(current, sent)
    counts = ix.counts
    score = _f1(gold, counts)
    kept: Counter[str] = Counter()
    budget = 3 * len(sent.words) + 10  # short or flat sentences may not reach the plan
    while score > plan and budget > 0:
        budget -= 1
        kind = rng.choices(KINDS, _WEIGHTS)[0]
        edit = _EDITS[kind](ix, sent, rng)
        if edit is None:
            continue
        undo, removed, added = edit
        _shift(counts, removed, -1)
        _shift(counts, added, +1)
        new = _f1(gold, counts)
        crossing = new <= plan < score and keep_u >= (score - plan) / (score - new)
        if crossing or (new >= score and rng.random() >= _KEEP_UNHELPFUL):
            undo()
            _shift(counts, added, -1)
            _shift(counts, removed, +1)
            if crossing:
                break  # stay above the plan; the expected score is the plan
            continue
        score = new
        kept[kind] += 1
        ix = index(current, sent)
        counts = ix.counts
    return current, score, kept
