"""Decoding constraints for TOP targets: ``compact`` (:class:`TreeConstraint`) and ``words``
(:class:`WordsConstraint`).

**compact** (``[IN:A X [SL:B X X ] ]``, one symbol per bracket or word). Every sequence the
constraint admits, followed by ``EOS``, is a well-formed TOP tree in compact form over exactly
the input's number of words: one root intent, intents holding placeholders and slots, slots
holding placeholders and intents, no node without a word, labels from the inventory, at most
``max_depth`` nested nodes. Every admitted prefix can be completed: a node opens only while
words remain, ``]`` closes a node only once it holds a word (the root only when every word is
placed), and the placeholder is allowed while words remain. A state is the hashable tuple
``(n_words, words_emitted, open_nodes, finished)`` where ``open_nodes`` holds
``(kind, words_emitted_when_opened)`` per open node, outermost first.

**words** (``[IN:A|X [SL:B|X X]]``, exactly one symbol per word; see
:mod:`mckd.tasks.top.formats`). The same trees, one symbol per step: the symbol of word ``i``
may open nodes (the first word must open the root intent; each opened node is of the other
kind than its parent, its label from the inventory, the depth at most ``max_depth``) and close
any number of the innermost open nodes after the word (each then holds at least this word),
but it must leave the root open before the last word and close everything at the last word;
``EOS`` follows the last word. Every admitted prefix can be completed (``X`` for the middle
words, ``X]...]`` for the last). A state is the hashable tuple ``(n_words, words_emitted,
open_kinds)``, ``open_kinds`` the ``IN``/``SL`` of each open node, outermost first.

The words symbols are combinatorial (any chain of alternating labels may open before one
word), so :meth:`WordsConstraint.allowed` returns an :class:`AllowedSymbols`, a container
that answers ``symbol in allowed`` (and ``EOS in allowed``) by parsing the symbol against the
state, instead of a set: it cannot be iterated. A consumer tests its own candidates, e.g. a
token classifier whose labels are :meth:`WordsConstraint.symbols` plus the symbols of its
training targets; :meth:`WordsConstraint.symbols` guarantees that at least one of its symbols
is allowed in every reachable state.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from functools import lru_cache

from mckd.tasks.top.formats import PLACEHOLDER, read_symbol, word_symbol

#: deepest nesting allowed (TOP's eval and test trees reach 8)
MAX_DEPTH = 10

State = tuple[int, int, tuple[tuple[str, int], ...], bool]
WordsState = tuple[int, int, tuple[str, ...]]

#: ``read_symbol`` for the symbols a classifier tests at every word (few distinct ones)
_read_symbol = lru_cache(maxsize=1 << 16)(read_symbol)


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
        _check_labels(intents, slots)
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


class WordsConstraint:
    """Admits exactly the well-formed ``words`` TOP targets for one input (module docstring).

    Follows ``DecodingConstraint`` except that :meth:`allowed` returns an
    :class:`AllowedSymbols` (membership only), not a set.

    Args:
        intents: intent labels (``IN:...``), at least one.
        slots: slot labels (``SL:...``).
        max_depth: the deepest nesting of nodes allowed (at least 1).

    Raises:
        ValueError: no intent label, a label without its ``IN:``/``SL:`` prefix, or
            ``max_depth`` below 1.
    """

    EOS = "</s>"

    def __init__(self, intents: Collection[str], slots: Collection[str],
                 max_depth: int = MAX_DEPTH):
        _check_labels(intents, slots)
        if max_depth < 1:
            raise ValueError(f"max_depth must be at least 1 (the root), not {max_depth}")
        self.labels = {"IN": frozenset(intents), "SL": frozenset(slots)}
        self.max_depth = max_depth

    def symbols(self, max_words: int = 0) -> list[str]:
        """A finite list of symbols with at least one allowed in every reachable state.

        ``X`` (a middle word), ``X`` with 1 to ``max_depth`` ``]`` (the last word), and for
        every label ``[LABEL|X`` and ``[LABEL|X]`` (the intent ones start every input, one
        word long or longer). Symbols opening several nodes are admitted too but not listed:
        there are combinatorially many; a classifier adds those its training targets use.
        ``max_words`` does not matter here.
        """
        ends = [word_symbol((), k) for k in range(self.max_depth + 1)]
        labels = sorted(self.labels["IN"]) + sorted(self.labels["SL"])
        return ends + [word_symbol((label,), k) for label in labels for k in (0, 1)]

    def start(self, source: str) -> WordsState:
        """The state before the first word of ``source``."""
        return (len(source.split()), 0, ())

    def allowed(self, state: WordsState) -> AllowedSymbols:
        """The symbols allowed next, as a membership-only container (never empty)."""
        return AllowedSymbols(self, state)

    def admits(self, state: WordsState, symbol: str) -> bool:
        """True when ``symbol`` (a words symbol or ``EOS``) may come next in ``state``."""
        n, i, stack = state
        if symbol == self.EOS or i >= n:
            return symbol == self.EOS and i >= n
        parsed = _read_symbol(symbol)
        if parsed is None:
            return False
        opens, closes = parsed
        if not stack and not opens:
            return False  # the first word opens the root
        kind = stack[-1] if stack else "SL"  # the root is an intent, as if inside a slot
        for label in opens:
            kind = "SL" if kind == "IN" else "IN"
            if label not in self.labels[kind]:
                return False
        depth = len(stack) + len(opens)
        if depth > self.max_depth:
            return False
        return closes == depth if i == n - 1 else closes < depth

    def advance(self, state: WordsState, symbol: str) -> WordsState:
        """The state after ``symbol``.

        Raises:
            ValueError: ``symbol`` is not allowed in ``state`` (a caller bug, not user input).
        """
        if not self.admits(state, symbol):
            raise ValueError(f"symbol {symbol!r} is not allowed in state {state!r}")
        n, i, stack = state
        if symbol == self.EOS:
            return state
        opens, closes = _read_symbol(symbol)
        stack = (*stack, *(label[:2] for label in opens))
        return (n, i + 1, stack[:len(stack) - closes])


class AllowedSymbols:
    """The symbols a :class:`WordsConstraint` allows in one state, by membership only.

    ``symbol in allowed`` parses ``symbol`` and checks it against the state (cheap: no
    enumeration); ``EOS in allowed`` says whether the output may end. Never empty (truthy), and
    not iterable: the allowed set is combinatorial. :meth:`among` filters candidates.
    """

    __slots__ = ("constraint", "state")
    __iter__ = None  # not enumerable: test membership (``iter()`` raises TypeError)

    def __init__(self, constraint: WordsConstraint, state: WordsState):
        self.constraint = constraint
        self.state = state

    def __contains__(self, symbol: object) -> bool:
        return isinstance(symbol, str) and self.constraint.admits(self.state, symbol)

    def __bool__(self) -> bool:
        return True

    def among(self, candidates: Iterable[str]) -> list[str]:
        """The allowed ``candidates``, in their order."""
        return [symbol for symbol in candidates if symbol in self]

    def __repr__(self) -> str:
        return f"AllowedSymbols(state={self.state!r})"


def _check_labels(intents: Collection[str], slots: Collection[str]) -> None:
    """Raise ValueError unless there is an intent and every label has its kind's prefix."""
    if not intents:
        raise ValueError("a TOP tree constraint needs at least one intent label")
    bad = [x for x in intents if not x.startswith("IN:")] + [
        x for x in slots if not x.startswith("SL:")]
    if bad:
        raise ValueError(f"label {bad[0]!r} lacks its IN:/SL: prefix")
