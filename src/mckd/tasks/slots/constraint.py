"""Decoding constraint for ``compact`` slot targets: exactly one valid IOB2 tag per word.

Every sequence the constraint admits, followed by ``EOS``, has one tag per input word, uses
only the inventory's slot types, and is valid IOB2 (``I-x`` only right after ``B-x`` or
``I-x``); every such sequence is admitted exactly once. A state is the hashable tuple
``(n_words, tags_emitted, type_of_the_open_slot_or_None)``.
"""

from __future__ import annotations

from collections.abc import Collection

State = tuple[int, int, str | None]


class TagConstraint:
    """Admits exactly the well-formed compact targets for one input (``DecodingConstraint``).

    Args:
        slot_types: the slot types a tag may carry (at least one).

    Raises:
        ValueError: ``slot_types`` is empty.
    """

    EOS = "</s>"

    def __init__(self, slot_types: Collection[str]):
        if not slot_types:
            raise ValueError("a tag constraint needs at least one slot type")
        self.opening = frozenset({"O"} | {f"B-{t}" for t in slot_types})

    def symbols(self, max_words: int = 0) -> list[str]:
        """Every symbol this constraint can allow, ``EOS`` excluded (sorted).

        Students add them to a word-level target vocabulary, so tags missing from the training
        pairs can still be generated; ``max_words`` (the longest input) does not matter here.
        """
        continuing = {f"I-{t[2:]}" for t in self.opening if t != "O"}
        return sorted(self.opening | continuing)

    def start(self, source: str) -> State:
        """The state before the first tag of ``source``."""
        return (len(source.split()), 0, None)

    def allowed(self, state: State) -> set[str]:
        """Tags allowed next, or ``{EOS}`` once every word has its tag."""
        n, i, open_type = state
        if i >= n:
            return {self.EOS}
        return set(self.opening) | ({f"I-{open_type}"} if open_type is not None else set())

    def advance(self, state: State, symbol: str) -> State:
        """The state after ``symbol`` (which must be allowed in ``state``)."""
        n, i, _ = state
        if symbol == self.EOS:
            return (n, n, None)
        return (n, i + 1, None if symbol == "O" else symbol[2:])
