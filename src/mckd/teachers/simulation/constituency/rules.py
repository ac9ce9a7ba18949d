"""Systematic errors: deterministic rewrite rules a simulated teacher applies wherever they match.

Each rule reads the gold labels (the simulated teacher sees the labeled gold tree) and rewrites
every match the same way, so the same construction always gets the same error: the kind of
error a student can learn. Matches are collected before any rewrite, so a rule never feeds on
its own output. Rules in one *group* contradict each other (e.g. PPs always low vs always high);
a teacher uses at most one rule per group.
"""

from __future__ import annotations

from collections.abc import Callable

from mckd.teachers.simulation.base import apply_in_place
from mckd.teachers.simulation.constituency.tree import ADDED_LABEL, Node, Sentence, splice, walk

Rule = Callable[[Node, Sentence], int]

_MODIFIERS = frozenset({"ADJP", "QP", "NML", "ADVP", "NAC"})
_POSTMODIFIERS = frozenset({"SBAR", "VP", "RRC"})


def _leaf_tag(kid: Node | int, sent: Sentence) -> str | None:
    return None if isinstance(kid, Node) else sent.tags[kid]


def _splice_matches(root: Node, match: Callable[[Node | None, Node], bool]) -> int:
    """Remove the bracket of every non-root node ``match(parent, node)`` accepts."""
    found = [node for parent, _, node in walk(root) if parent is not None and match(parent, node)]
    targets = {id(n) for n in found}
    # children before parents, so a spliced node's kids are final when it is spliced
    for _, _, node in reversed(list(walk(root))):
        for i in range(len(node.kids) - 1, -1, -1):
            if id(node.kids[i]) in targets:
                splice(node, i)
    return len(found)


def _binarize(root: Node, match: Callable[[Node], bool]) -> int:
    """Nest the children of every matching constituent to the right: ``(a (b (c d)))``."""
    found = [n for _, _, n in walk(root) if match(n)]
    for node in found:
        kids = node.kids
        inner: Node | int = Node(ADDED_LABEL, kids[-2:])
        for kid in reversed(kids[1:-2]):
            inner = Node(ADDED_LABEL, [kid, inner])
        node.kids = [kids[0], inner]
    return len(found)


def _is_base_np(node: Node) -> bool:
    return node.label == "NP" and len(node.kids) >= 2 and all(
        not isinstance(k, Node) for k in node.kids)


def flatten_base_np(root: Node, sent: Sentence) -> int:
    """Never bracket a base NP: ``(NP the big dog)`` loses its bracket."""
    return _splice_matches(root, lambda parent, node: _is_base_np(node))


def right_branch_base_np(root: Node, sent: Sentence) -> int:
    """Bracket base NPs of 3+ words right-branching: ``(a (b (c d)))``."""
    return _binarize(root, lambda n: _is_base_np(n) and len(n.kids) >= 3)


def determiner_outside(root: Node, sent: Sentence) -> int:
    """Leave determiners out of their NP: ``(NP the big dog)`` -> ``the (big dog)``."""
    found = [(p, n) for p, _, n in walk(root) if p is not None and n.label == "NP"
             and len(n.kids) >= 2 and _leaf_tag(n.kids[0], sent) == "DT"]
    for parent, node in found:
        idx = next(i for i, k in enumerate(parent.kids) if k is node)
        parent.kids.insert(idx, node.kids.pop(0))
    return len(found)


def pp_low(root: Node, sent: Sentence) -> int:
    """Attach a verb's PP to the NP right before it: ``(VP saw (NP the man) (PP ...))``
    -> ``(VP saw (NP the man (PP ...)))``."""
    found = []
    for _, _, node in walk(root):
        if node.label == "VP":
            for i in range(1, len(node.kids)):
                prev, kid = node.kids[i - 1], node.kids[i]
                if isinstance(kid, Node) and kid.label == "PP" and isinstance(prev, Node) \
                        and prev.label == "NP":
                    found.append((node, prev, kid))
    for vp, np, pp in found:
        vp.kids.remove(pp)
        np.kids.append(pp)
    return len(found)


def _eject_last(root: Node, labels: frozenset[str]) -> int:
    """Move the last child of NPs (whose label is in ``labels``) out, right after the NP."""
    found = [(p, n) for p, _, n in walk(root) if p is not None and n.label == "NP"
             and len(n.kids) >= 2 and isinstance(n.kids[-1], Node)
             and n.kids[-1].label in labels]
    for parent, node in found:
        idx = next(i for i, k in enumerate(parent.kids) if k is node)
        parent.kids.insert(idx + 1, node.kids.pop())
    return len(found)


def pp_high(root: Node, sent: Sentence) -> int:
    """Attach PPs that modify a noun one level too high: ``(NP (NP effects) (PP of X))`` ->
    ``(NP effects) (PP of X)``."""
    return _eject_last(root, frozenset({"PP"}))


def clause_high(root: Node, sent: Sentence) -> int:
    """Attach relative and reduced-relative clauses outside the noun they modify."""
    return _eject_last(root, _POSTMODIFIERS)


def coordination_scope(root: Node, sent: Sentence) -> int:
    """Give coordination too narrow a scope: ``((genetic factors) and (mice))`` ->
    ``(genetic (factors and mice))``."""
    found = []
    for _, _, node in walk(root):
        for i in range(1, len(node.kids) - 1):
            first = node.kids[i - 1]
            if _leaf_tag(node.kids[i], sent) == "CC" and isinstance(first, Node) \
                    and len(first.kids) >= 2:
                found.append((node, i))
                break  # one coordination per constituent, leftmost
    for node, i in found:
        first, cc, second = node.kids[i - 1], node.kids[i], node.kids[i + 1]
        first.kids[-1] = Node(ADDED_LABEL, [first.kids[-1], cc, second])
        del node.kids[i:i + 2]
    return len(found)


def flatten_coordination(root: Node, sent: Sentence) -> int:
    """Never bracket conjuncts: brackets of the constituents next to a ``CC`` are removed."""

    def match(parent: Node | None, node: Node) -> bool:
        if parent is None:
            return False
        i = next(j for j, k in enumerate(parent.kids) if k is node)
        near = [parent.kids[j] for j in (i - 1, i + 1) if 0 <= j < len(parent.kids)]
        return any(_leaf_tag(k, sent) == "CC" for k in near)

    return _splice_matches(root, match)


def merge_verb_chain(root: Node, sent: Sentence) -> int:
    """Flatten auxiliary chains: ``(VP is (VP known (PP ...)))`` -> ``(VP is known (PP ...))``."""
    return _splice_matches(root, lambda p, n: n.label == "VP" and p is not None and p.label == "VP")


def flatten_verb_phrases(root: Node, sent: Sentence) -> int:
    """Never bracket verb phrases: every ``VP`` below the root loses its bracket."""
    return _splice_matches(root, lambda p, n: n.label == "VP")


def flatten_prepositional_phrases(root: Node, sent: Sentence) -> int:
    """Never bracket prepositional phrases: ``(PP in (NP the garden))`` -> ``in (the garden)``."""
    return _splice_matches(root, lambda p, n: n.label == "PP")


def binarize_right(root: Node, sent: Sentence) -> int:
    """Nest every constituent of 3+ children to the right: ``(a b c)`` -> ``(a (b c))``."""
    return _binarize(root, lambda n: len(n.kids) >= 3)


def flatten_sbar(root: Node, sent: Sentence) -> int:
    """Drop the clause bracket under a complementizer: ``(SBAR that (S ...))`` -> ``(that ...)``."""
    return _splice_matches(root, lambda p, n: n.label == "S" and p is not None
                           and p.label == "SBAR")


def flatten_modifiers(root: Node, sent: Sentence) -> int:
    """Never bracket adjective, adverb, quantity or nominal-modifier phrases."""
    return _splice_matches(root, lambda p, n: n.label in _MODIFIERS)


def flatten_parentheticals(root: Node, sent: Sentence) -> int:
    """Never bracket parentheticals (``PRN``), common in biomedical text."""
    return _splice_matches(root, lambda p, n: n.label == "PRN")


#: every rule by name, in the order a teacher applies the ones it uses
RULES: dict[str, Rule] = {
    "flatten_base_np": flatten_base_np,
    "right_branch_base_np": right_branch_base_np,
    "determiner_outside": determiner_outside,
    "pp_low": pp_low,
    "pp_high": pp_high,
    "clause_high": clause_high,
    "coordination_scope": coordination_scope,
    "flatten_coordination": flatten_coordination,
    "merge_verb_chain": merge_verb_chain,
    "flatten_verb_phrases": flatten_verb_phrases,
    "flatten_prepositional_phrases": flatten_prepositional_phrases,
    "flatten_sbar": flatten_sbar,
    "flatten_modifiers": flatten_modifiers,
    "flatten_parentheticals": flatten_parentheticals,
    "binarize_right": binarize_right,
}

#: rules that contradict each other; a teacher picks at most one of each group
GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"flatten_base_np", "right_branch_base_np", "binarize_right"}),
    frozenset({"pp_low", "pp_high", "flatten_prepositional_phrases"}),
    frozenset({"coordination_scope", "flatten_coordination"}),
    frozenset({"merge_verb_chain", "flatten_verb_phrases"}),
)


def apply_rules(root: Node, sent: Sentence, names: tuple[str, ...]) -> dict[str, int]:
    """Apply the named rules in :data:`RULES` order, in place; return matches per rule."""
    return apply_in_place(RULES, names, root, sent)
