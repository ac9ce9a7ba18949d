"""Decoding constraint for ``compact`` TOP targets (``[IN:A X [SL:B X X ] ]``).

Every sequence the constraint admits, followed by ``EOS``, is a well-formed TOP tree in compact
form over exactly the input's number of words: one root intent, intents holding placeholders
and slots, slots holding placeholders and intents, no node without a word, labels from the
inventory, at most ``max_depth`` nested nodes. Every admitted prefix can be completed: a node
opens only while words remain, ``]`` closes a node only once it holds a word (the root only
when every word is placed), and the placeholder is allowed while words remain.

A state is the hashable tuple ``(n_words, words_emitted, open_nodes, finished)`` where
``open_nodes`` holds ``(kind, words_emitted_when_opened)`` per open node, outermost first.
"""

from __future__ import annotations

from collections.abc import Collection

from mckd.tasks.top.formats import PLACEHOLDER

#: deepest nesting allowed (TOP's eval and test trees reach 8)
MAX_DEPTH = 10

State = tuple[int, int, tuple[tuple[str, int], ...], bool]


class TreeConstraint:
    """Admits exactly the well-formed compact TOP targets for one input (``DecodingConstraint``).

    Args:
        intents: intent labels (``IN:...``), at least one.
        slots: slot labels (``SL:...``).
        max_depth: the deepest nesting of nodes allowed.

    Raises:
        ValueError: no intent label, or a label without its ``IN:``/``SL:`` prefix.
    """

    EOS = "</s>"

    def __init__(self, intents: Collection[str], slots: Collection[str],
                 max_depth: int = MAX_DEPTH):
        if not intents:
            raise ValueError("a TOP tree constraint needs at least one intent label")
        bad = [x for x in intents if not x.startswith("IN:")] + [
            x for x in slots if not x.startswith("SL:")]
        if bad:
            raise ValueError(f"label {bad[0]!r} lacks its IN:/SL: prefix")
        self.opens = {"IN": frozenset("[" + x for x in intents),
                      "SL": frozenset("[" + x for x in slots)}
        self.max_depth = max_depth

    def symbols(self, max_words: int = 0) -> list[str]:
        """Every symbol this constraint can allow, ``EOS`` excluded (sorted); students add them
        to a word-level target vocabulary. ``max_words`` does not matter here."""
        return sorted(self.opens["IN"] | self.opens["SL"] | {PLACEHOLDER, "]"})

    def start(self, source: str) -> State:
        """The state before the first symbol of ``source``'s tree."""
        return (len(source.split()), 0, (), False)

    def allowed(self, state: State) -> set[str]:
        """Symbols allowed next (never empty for an input with words)."""
        n, i, stack, finished = state
        if finished or n == 0:
            return {self.EOS}
        if not stack:
            return set(self.opens["IN"])
        kind, opened_at = stack[-1]
        out: set[str] = set()
        if i < n:
            out.add(PLACEHOLDER)
            if len(stack) < self.max_depth:
                out |= self.opens["SL" if kind == "IN" else "IN"]
        if i > opened_at and (len(stack) > 1 or i == n):
            out.add("]")
        return out

    def advance(self, state: State, symbol: str) -> State:
        """The state after ``symbol`` (which must be allowed in ``state``)."""
        n, i, stack, _ = state
        if symbol == self.EOS:
            return (n, n, (), True)
        if symbol == PLACEHOLDER:
            return (n, i + 1, stack, False)
        if symbol == "]":
            return (n, i, stack[:-1], len(stack) == 1)
        return (n, i, (*stack, (symbol[1:3], i)), False)
