"""Systematic TOP errors: rewrite rules a simulated teacher applies wherever they match.

Each rule reads the gold tree (labels included) and rewrites every match the same way, in
place, returning how many places it changed: the kind of error a student can learn. Matches
are collected before any rewrite, so a rule never feeds on its own output. The rules are
written for TOP's navigation and event domain and the confusions a few-shot LLM shows on it:
nested location/event intents flattened into their slot, estimated arrival vs duration, the
time slots' variants, a leading "at"/"by" or "the" in or out of a slot, small slots never
tagged. Rules in one *group* contradict or duplicate each other; a teacher uses at most one
of each group.
"""

from __future__ import annotations

from collections.abc import Callable

from mckd.teachers.simulation.base import apply_in_place
from mckd.teachers.simulation.top.tree import Node, is_slot, walk, words_under

Rule = Callable[[Node, tuple[str, ...]], int]

_TIME_SLOTS = frozenset({"SL:DATE_TIME", "SL:DATE_TIME_ARRIVAL", "SL:DATE_TIME_DEPARTURE"})
_TIME_PREPOSITIONS = frozenset({"at", "by", "before", "on", "in", "for", "after", "from",
                                "until", "around"})


def flatten_into_words(parent: Node, node: Node) -> None:
    """Replace ``node`` (a child of ``parent``) by its words, dropping every bracket in it."""
    i = next(j for j, k in enumerate(parent.kids) if k is node)
    parent.kids[i:i + 1] = words_under(node)


def _flatten_nested(prefix: str) -> Rule:
    def rule(root: Node, words: tuple[str, ...]) -> int:
        found = [(p, n) for p, _, n in walk(root)
                 if p is not None and is_slot(p) and n.label.startswith(prefix)]
        for parent, node in found:
            flatten_into_words(parent, node)
        return len(found)

    rule.__doc__ = (f"Never nest an intent ``{prefix}...`` in a slot: the slot holds its words "
                    "(``[SL:DESTINATION [IN:GET_LOCATION_HOME my home ] ]`` -> "
                    "``[SL:DESTINATION my home ]``).")
    return rule


def _relabel(mapping: dict[str, str]) -> Rule:
    def rule(root: Node, words: tuple[str, ...]) -> int:
        found = [n for _, _, n in walk(root) if n.label in mapping]
        for node in found:
            node.label = mapping[node.label]
        return len(found)

    rule.__doc__ = "Always write " + ", ".join(f"``{a}`` as ``{b}``" for a, b in
                                               mapping.items()) + "."
    return rule


def _skip(label: str) -> Rule:
    def rule(root: Node, words: tuple[str, ...]) -> int:
        found = [(p, n) for p, _, n in walk(root) if p is not None and n.label == label]
        for parent, node in found:
            flatten_into_words(parent, node)
        return len(found)

    rule.__doc__ = f"Never tag ``{label}`` (its words stay in the intent)."
    return rule


def _shrink_first_word(match: Callable[[Node, str], bool]) -> Rule:
    def rule(root: Node, words: tuple[str, ...]) -> int:
        found = [(p, n) for p, _, n in walk(root)
                 if p is not None and is_slot(n) and len(n.kids) >= 2
                 and not isinstance(n.kids[0], Node) and match(n, words[n.kids[0]].lower())]
        for parent, node in found:
            i = next(j for j, k in enumerate(parent.kids) if k is node)
            parent.kids.insert(i, node.kids.pop(0))
        return len(found)

    return rule


def time_with_preposition(root: Node, words: tuple[str, ...]) -> int:
    """Pull the untagged preposition before a time slot ("at", "by", ...) into the slot."""
    found = []
    for _, _, node in walk(root):
        for i, kid in enumerate(node.kids):
            if i > 0 and isinstance(kid, Node) and kid.label in _TIME_SLOTS:
                before = node.kids[i - 1]
                if not isinstance(before, Node) and words[before].lower() in _TIME_PREPOSITIONS:
                    found.append((node, kid))
    for parent, slot in found:
        i = next(j for j, k in enumerate(parent.kids) if k is slot)
        slot.kids.insert(0, parent.kids.pop(i - 1))
    return len(found)


time_without_preposition = _shrink_first_word(
    lambda n, w: n.label in _TIME_SLOTS and w in _TIME_PREPOSITIONS)
time_without_preposition.__doc__ = ("Leave a leading preposition (\"at 5 pm\", \"by 6\") out "
                                    "of every time slot.")
strip_leading_the = _shrink_first_word(lambda n, w: w == "the")
strip_leading_the.__doc__ = "Leave a leading \"the\" out of every slot of two or more words."


#: every rule by name, in the order a teacher applies the ones it uses
RULES: dict[str, Rule] = {
    "generic_location_intent": _relabel({"IN:GET_LOCATION_HOME": "IN:GET_LOCATION",
                                         "IN:GET_LOCATION_WORK": "IN:GET_LOCATION",
                                         "IN:GET_LOCATION_SCHOOL": "IN:GET_LOCATION"}),
    "flatten_location_intents": _flatten_nested("IN:GET_LOCATION"),
    "flatten_event_intents": _flatten_nested("IN:GET_EVENT"),
    "duration_as_arrival": _relabel({"IN:GET_ESTIMATED_DURATION": "IN:GET_ESTIMATED_ARRIVAL"}),
    "arrival_as_duration": _relabel({"IN:GET_ESTIMATED_ARRIVAL": "IN:GET_ESTIMATED_DURATION"}),
    "departure_as_duration": _relabel({"IN:GET_ESTIMATED_DEPARTURE":
                                       "IN:GET_ESTIMATED_DURATION"}),
    "distance_as_duration": _relabel({"IN:GET_DISTANCE": "IN:GET_ESTIMATED_DURATION"}),
    "unsupported_as_supported": _relabel({"IN:UNSUPPORTED_NAVIGATION": "IN:GET_DIRECTIONS",
                                          "IN:UNSUPPORTED_EVENT": "IN:GET_EVENT"}),
    "road_condition_as_traffic": _relabel({"IN:GET_INFO_ROAD_CONDITION":
                                           "IN:GET_INFO_TRAFFIC"}),
    "departure_time_as_date_time": _relabel({"SL:DATE_TIME_DEPARTURE": "SL:DATE_TIME"}),
    "arrival_time_as_date_time": _relabel({"SL:DATE_TIME_ARRIVAL": "SL:DATE_TIME"}),
    "destination_as_location": _relabel({"SL:DESTINATION": "SL:LOCATION"}),
    "source_as_location": _relabel({"SL:SOURCE": "SL:LOCATION"}),
    "point_on_map_as_location": _relabel({"SL:POINT_ON_MAP": "SL:LOCATION"}),
    "skip_location_user": _skip("SL:LOCATION_USER"),
    "skip_search_radius": _skip("SL:SEARCH_RADIUS"),
    "skip_method_travel": _skip("SL:METHOD_TRAVEL"),
    "time_with_preposition": time_with_preposition,
    "time_without_preposition": time_without_preposition,
    "strip_leading_the": strip_leading_the,
}

#: rules that contradict (or make each other moot); a teacher picks at most one of each group
GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"generic_location_intent", "flatten_location_intents"}),
    frozenset({"duration_as_arrival", "arrival_as_duration"}),
    frozenset({"duration_as_arrival", "departure_as_duration"}),
    frozenset({"duration_as_arrival", "distance_as_duration"}),
    frozenset({"time_with_preposition", "time_without_preposition"}),
)


def apply_rules(root: Node, words: tuple[str, ...], names: tuple[str, ...]) -> dict[str, int]:
    """Apply the named rules in :data:`RULES` order, in place; return matches per rule."""
    return apply_in_place(RULES, names, root, words)

