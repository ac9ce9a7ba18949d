"""Random, instance-specific TOP errors, applied until an utterance reaches its planned F1.

Six kinds, drawn with fixed weights (:data:`WEIGHTS`); each edits a copy of the tree and keeps
it well formed (intents hold words and slots, slots hold words and intents, no empty node):

- ``wrong_intent``: an intent (the root or a nested one) gets another label, mostly a
  confusable one (:data:`INTENT_FAMILIES`);
- ``wrong_slot``: likewise for a slot (:data:`SLOT_FAMILIES`);
- ``boundary``: a slot takes in the word next to it or lets its first or last word go;
- ``missing_slot``: a slot is left out (its words, nested intents flattened, stay in place);
- ``spurious_slot``: one or two words of an intent become a slot;
- ``flatten_nested``: an intent nested in a slot is dropped (the slot holds its words).

The loop that aims at the plan is :func:`~mckd.teachers.simulation.editing.edit_to_plan`.
"""

from __future__ import annotations

import random
from collections import Counter
from functools import partial

from mckd.teachers.simulation.editing import LabelSampler, edit_to_plan
from mckd.teachers.simulation.top.rules import flatten_into_words
from mckd.teachers.simulation.top.tree import (
    Bracket,
    Node,
    bracket_f1,
    brackets,
    is_intent,
    is_slot,
    walk,
)

WEIGHTS = {"wrong_intent": 0.15, "wrong_slot": 0.25, "boundary": 0.25, "missing_slot": 0.15,
           "spurious_slot": 0.1, "flatten_nested": 0.1}

#: intents a few-shot LLM mixes up (TOP's navigation and event domain)
INTENT_FAMILIES: tuple[frozenset[str], ...] = (
    frozenset({"IN:GET_ESTIMATED_DURATION", "IN:GET_ESTIMATED_ARRIVAL",
               "IN:GET_ESTIMATED_DEPARTURE", "IN:GET_DISTANCE"}),
    frozenset({"IN:GET_DIRECTIONS", "IN:UPDATE_DIRECTIONS", "IN:UNSUPPORTED_NAVIGATION",
               "IN:GET_INFO_ROUTE"}),
    frozenset({"IN:GET_INFO_TRAFFIC", "IN:GET_INFO_ROAD_CONDITION"}),
    frozenset({"IN:GET_EVENT", "IN:UNSUPPORTED_EVENT", "IN:UNSUPPORTED"}),
    frozenset({"IN:GET_LOCATION", "IN:GET_LOCATION_HOME", "IN:GET_LOCATION_WORK",
               "IN:GET_LOCATION_SCHOOL"}),
)
#: slots a few-shot LLM mixes up
SLOT_FAMILIES: tuple[frozenset[str], ...] = (
    frozenset({"SL:DATE_TIME", "SL:DATE_TIME_ARRIVAL", "SL:DATE_TIME_DEPARTURE"}),
    frozenset({"SL:LOCATION", "SL:DESTINATION", "SL:SOURCE", "SL:POINT_ON_MAP",
               "SL:CATEGORY_LOCATION", "SL:LOCATION_MODIFIER", "SL:LOCATION_USER",
               "SL:WAYPOINT"}),
    frozenset({"SL:CATEGORY_EVENT", "SL:NAME_EVENT", "SL:ATTRIBUTE_EVENT",
               "SL:ORGANIZER_EVENT"}),
    frozenset({"SL:PATH", "SL:PATH_AVOID", "SL:OBSTRUCTION_AVOID", "SL:ROAD_CONDITION",
               "SL:OBSTRUCTION", "SL:WAYPOINT_AVOID"}),
    frozenset({"SL:CONTACT", "SL:CONTACT_RELATED", "SL:TYPE_RELATION", "SL:ATTENDEE_EVENT"}),
)


def _relabel(which, labels: LabelSampler, root: Node, rng: random.Random) -> Node | None:
    tree = root.copy()
    nodes = [n for _, _, n in walk(tree) if which(n)]
    if not nodes:
        return None
    node = rng.choice(nodes)
    other = labels.wrong(node.label, rng)
    if other is None:
        return None
    node.label = other
    return tree


def _boundary(root: Node, rng: random.Random) -> Node | None:
    tree = root.copy()
    moves = []
    for parent, i, node in walk(tree):
        if parent is None or not is_slot(node):
            continue
        if i > 0 and not isinstance(parent.kids[i - 1], Node):
            moves.append(("extend_left", parent, i, node))
        if i + 1 < len(parent.kids) and not isinstance(parent.kids[i + 1], Node):
            moves.append(("extend_right", parent, i, node))
        if len(node.kids) >= 2 and not isinstance(node.kids[0], Node):
            moves.append(("shrink_left", parent, i, node))
        if len(node.kids) >= 2 and not isinstance(node.kids[-1], Node):
            moves.append(("shrink_right", parent, i, node))
    if not moves:
        return None
    how, parent, i, node = rng.choice(moves)
    if how == "extend_left":
        node.kids.insert(0, parent.kids.pop(i - 1))
    elif how == "extend_right":
        node.kids.append(parent.kids.pop(i + 1))
    elif how == "shrink_left":
        parent.kids.insert(i, node.kids.pop(0))
    else:
        parent.kids.insert(i + 1, node.kids.pop())
    return tree


def _missing_slot(root: Node, rng: random.Random) -> Node | None:
    tree = root.copy()
    found = [(p, n) for p, _, n in walk(tree) if p is not None and is_slot(n)]
    if not found:
        return None
    flatten_into_words(*rng.choice(found))
    return tree


def _spurious_slot(labels: LabelSampler, root: Node, rng: random.Random) -> Node | None:
    tree = root.copy()
    spots = [(n, j) for _, _, n in walk(tree) if is_intent(n)
             for j, k in enumerate(n.kids) if not isinstance(k, Node)]
    if not spots:
        return None
    node, j = rng.choice(spots)
    width = 2 if j + 1 < len(node.kids) and not isinstance(node.kids[j + 1], Node) \
        and rng.random() < 0.4 else 1
    node.kids[j:j + width] = [Node(labels.any(rng), node.kids[j:j + width])]
    return tree


def _flatten_nested(root: Node, rng: random.Random) -> Node | None:
    tree = root.copy()
    found = [(p, n) for p, _, n in walk(tree) if p is not None and is_slot(p) and is_intent(n)]
    if not found:
        return None
    flatten_into_words(*rng.choice(found))
    return tree


def _score(gold: Counter[Bracket], tree: Node) -> float:
    return bracket_f1(gold, brackets(tree))


def corrupt_to(root: Node, n_words: int, gold: Counter[Bracket], intents: LabelSampler,
               slots: LabelSampler, plan: float, rng: random.Random, keep_u: float
               ) -> tuple[Node, float, Counter[str]]:
    """Edit a copy of ``root`` at random until its F1 against ``gold`` is about ``plan``.

    Args:
        root: the tree to start from (after the systematic rules; not modified).
        n_words: the input's length.
        gold: the gold brackets.
        intents: intent labels to draw wrong intents from.
        slots: slot labels to draw wrong and spurious slots from.
        plan: planned F1 in [0, 1].
        rng: the example's random stream for edits.
        keep_u: a uniform draw deciding whether the edit crossing the plan is kept.

    Returns:
        The corrupted tree, its F1 and how many edits of each kind were kept.
    """
    edits = {"wrong_intent": partial(_relabel, is_intent, intents),
             "wrong_slot": partial(_relabel, is_slot, slots),
             "boundary": _boundary,
             "missing_slot": _missing_slot,
             "spurious_slot": partial(_spurious_slot, slots),
             "flatten_nested": _flatten_nested}
    return edit_to_plan(root, partial(_score, gold), edits, WEIGHTS, plan, rng, keep_u,
                        budget=3 * n_words + 10)
