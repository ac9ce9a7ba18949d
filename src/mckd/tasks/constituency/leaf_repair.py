"""Ladder step 6 of :mod:`.check`: make a tree's leaves equal the input words.

If the leaves' concatenation equals the input's, merged tokens are re-split and split tokens
re-merged (each leaf becomes the input words that start inside it). Otherwise a difflib
alignment substitutes changed words, deletes extra ones and inserts missing ones, when at most
``max(1, int(MAX_EDIT_FRACTION * n_words))`` words need it. An inserted word goes right after
its left neighbour, as a sibling of the highest constituent that ends at that neighbour, so no
existing span is cut.
"""

from __future__ import annotations

import difflib

from nltk import Tree

from mckd.tasks.constituency.linearize import UNKNOWN_POS

#: share of the input's words the alignment may substitute, insert or delete
MAX_EDIT_FRACTION = 0.2


def match_leaves(tree: Tree, words: list[str], notes: list[str]) -> str:
    """Make ``tree``'s leaves equal ``words`` in place, appending what was done to ``notes``.

    Args:
        tree: a tree as built by :func:`~.linearize.build_tree` (words under POS nodes).
        words: the input words, escaped (:func:`~.linearize.escape_leaf`).
        notes: repair notes to extend.

    Returns:
        "" on success, else why the leaves are too far from the input to repair.
    """
    leaves = tree.leaves()
    if leaves == words:
        return ""
    if "".join(leaves) == "".join(words):
        replace, inserts = _resegment(leaves, words, notes), []
    else:
        replace, inserts, edits = _align(leaves, words)
        limit = max(1, int(MAX_EDIT_FRACTION * len(words)))
        if edits > limit:
            return (f"leaves do not match input: {edits} of {len(words)} words differ "
                    f"(at most {limit} can be repaired)")
        notes.append(_describe_alignment(replace, inserts, leaves))
    _apply(tree, replace, inserts, words)
    if tree.leaves() != words:  # the edits above always rebuild the input; kept as a guard
        return "leaves do not match input after alignment"
    return ""


def _resegment(leaves: list[str], words: list[str], notes: list[str]) -> list[list[str]]:
    """Each leaf becomes the input words that *start* inside it (none, one or several)."""
    starts, pos = [], 0
    for w in words:
        starts.append(pos)
        pos += len(w)
    replace: list[list[str]] = []
    j, pos = 0, 0
    for leaf in leaves:
        end = pos + len(leaf)
        group = []
        while j < len(words) and starts[j] < end:
            group.append(words[j])
            j += 1
        replace.append(group)
        pos = end
    merged = sum(len(g) > 1 for g in replace)
    split = _count_split(leaves, words, starts)
    if merged:
        notes.append(f"re-split {merged} merged token{plural_s(merged)}")
    if split:
        notes.append(f"re-merged {split} split token{plural_s(split)}")
    return replace


def _count_split(leaves: list[str], words: list[str], starts: list[int]) -> int:
    """Input words whose characters span more than one leaf."""
    bounds, pos = set(), 0
    for leaf in leaves[:-1]:
        pos += len(leaf)
        bounds.add(pos)
    return sum(any(s < b < s + len(w) for b in bounds) for s, w in zip(starts, words))


def _align(leaves: list[str], words: list[str]) -> tuple[list[list[str]], list[int], int]:
    """difflib alignment: per leaf its replacement words; input indices to insert; edit count."""
    replace: list[list[str]] = [[leaf] for leaf in leaves]
    inserts: list[int] = []
    edits = 0
    matcher = difflib.SequenceMatcher(None, leaves, words, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        paired = min(i2 - i1, j2 - j1)
        for k in range(paired):
            replace[i1 + k] = [words[j1 + k]]
        for k in range(i1 + paired, i2):
            replace[k] = []
        inserts.extend(range(j1 + paired, j2))
        edits += max(i2 - i1, j2 - j1)
    return replace, inserts, edits


def _describe_alignment(replace: list[list[str]], inserts: list[int], leaves: list[str]) -> str:
    subs = sum(1 for r, leaf in zip(replace, leaves) if r and r[0] != leaf)
    dels = sum(1 for r in replace if not r)
    parts = [f"{n} {what}" for n, what in
             ((subs, "substituted"), (len(inserts), "inserted"), (dels, "deleted")) if n]
    return "aligned leaves to input: " + ", ".join(parts)


def _apply(tree: Tree, replace: list[list[str]], inserts: list[int], words: list[str]) -> None:
    """Replace leaves (right to left, so positions stay valid), prune, then insert words."""
    positions = tree.treepositions("leaves")
    for i in range(len(positions) - 1, -1, -1):
        if replace[i] == [tree[positions[i]]]:
            continue
        pre = positions[i][:-1]
        parent, idx = tree[pre[:-1]], pre[-1]
        del parent[idx]
        for off, word in enumerate(replace[i]):
            parent.insert(idx + off, Tree(UNKNOWN_POS, [word]))
    _prune_empty(tree)
    for j in sorted(inserts):  # words[:j] are all in place by now
        parent_pos, idx = (), 0
        if j > 0:
            parent_pos, idx = _insertion_point(tree, tree.leaf_treeposition(j - 1))
        tree[parent_pos].insert(idx, Tree(UNKNOWN_POS, [words[j]]))


def _prune_empty(node: Tree) -> None:
    """Remove constituents left without words (the root stays, possibly empty)."""
    for idx in range(len(node) - 1, -1, -1):
        kid = node[idx]
        if isinstance(kid, Tree):
            _prune_empty(kid)
            if len(kid) == 0:
                del node[idx]


def _insertion_point(tree: Tree, leaf_pos: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """Where to put a word right after a leaf: after the highest constituent ending there."""
    path = leaf_pos[:-1]  # the leaf's POS node; path[:d] is its ancestor at depth d
    d = 1
    while not all(path[k] == len(tree[path[:k]]) - 1 for k in range(d, len(path))):
        d += 1  # stops at d == len(path) at the latest (the POS node itself)
    return path[: d - 1], path[d - 1] + 1


def plural_s(n: int) -> str:
    """"s" unless ``n`` is 1, for counts in repair notes."""
    return "" if n == 1 else "s"
