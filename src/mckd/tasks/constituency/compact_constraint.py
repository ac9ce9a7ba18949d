"""Decoding constraint for compact constituency targets (see ``compact.py`` for the formats).

Every sequence the constraint admits, followed by ``EOS``, is a bracketing over exactly the
input's words with a single root spanning the whole input, balanced brackets, no empty
constituent and at least two children per bracket; and every such bracketing is admitted
exactly once (the tests count them against the little Schroeder numbers 1, 1, 3, 11, 45, ...).

A state is a hashable tuple ``(n, i, stack)``: ``n`` input words, ``i`` placeholders emitted,
``stack`` the child counts of the open brackets, outermost first. The look-ahead that keeps
every admitted prefix completable is ``need(stack)``: the fewest further words that can satisfy
every open bracket's two-children minimum (``sum(max(0, 2 - c))`` in the brackets style; see
``_need_words`` for the words style, where a bracket can close only right after a word). A
symbol is allowed only if ``need`` after it is at most the number of words left.
"""

from __future__ import annotations

PLACEHOLDER = "X"
STYLES = ("words", "brackets")
DEFAULT_STYLE = "words"

State = tuple[int, int, tuple[int, ...]]


def _need(stack: tuple[int, ...]) -> int:
    return sum(max(0, 2 - c) for c in stack)


def _need_words(stack: tuple[int, ...]) -> int:
    """``need`` for the words style, where brackets close only right after a word: the
    innermost bracket always needs one more word before it can close, and every other
    bracket with a single child one more word after its inner bracket closes."""
    if not stack:
        return 0
    return 1 + sum(1 for c in stack[:-1] if c < 2)


def _attach(stack: tuple[int, ...]) -> tuple[int, ...]:
    """One more child for the innermost open bracket (if any)."""
    return stack[:-1] + (stack[-1] + 1,) if stack else stack


class CompactConstraint:
    """Admits exactly the well-formed compact targets for one input (``DecodingConstraint``).

    Args:
        style: ``"words"`` (one symbol per word, e.g. ``((X``, ``X``, ``X))``) or
            ``"brackets"`` (symbols ``(``, ``)``, ``X``).
    """

    EOS = "</s>"

    def __init__(self, style: str = DEFAULT_STYLE):
        if style not in STYLES:
            raise ValueError(f"unknown compact style {style!r}; choose one of {', '.join(STYLES)}")
        self.style = style

    def symbols(self, max_words: int) -> list[str]:
        """Every symbol this constraint can allow for inputs of up to ``max_words`` words.

        A student adds these to its vocabulary so that no admitted symbol is out of vocabulary.
        """
        if self.style == "brackets":
            return ["(", ")", PLACEHOLDER]
        depth = max(1, max_words - 1)
        return [PLACEHOLDER] + [
            sym for k in range(1, depth + 1) for sym in ("(" * k + PLACEHOLDER, PLACEHOLDER + ")" * k)
        ]

    def start(self, source: str) -> State:
        """Initial state for ``source`` (words separated by spaces)."""
        return (len(source.split()), 0, ())

    def allowed(self, state: State) -> set[str]:
        """Symbols allowed next; ``{EOS}`` exactly when the bracketing is complete."""
        n, i, stack = state
        if n <= 1:  # a one-word (or empty) input is the bare placeholder
            return {PLACEHOLDER} if i < n else {self.EOS}
        if self.style == "words":
            return self._allowed_words(n, i, stack)
        return self._allowed_brackets(n, i, stack)

    def advance(self, state: State, symbol: str) -> State:
        """State after ``symbol``.

        Raises:
            ValueError: ``symbol`` is not allowed in ``state`` (a caller bug, not user input).
        """
        if symbol not in self.allowed(state):
            raise ValueError(f"symbol {symbol!r} is not allowed in state {state!r}")
        n, i, stack = state
        if n <= 1:
            return (n, i + 1, stack)
        if symbol == "(":
            return (n, i, _attach(stack) + (0,))
        if symbol == ")":
            return (n, i, stack[:-1])
        opens = len(symbol) - len(symbol.lstrip("("))
        closes = len(symbol) - len(symbol.rstrip(")"))
        stack = _attach(stack) + (1,) * opens
        return (n, i + 1, stack[: len(stack) - closes])

    def _allowed_words(self, n: int, i: int, stack: tuple[int, ...]) -> set[str]:
        if i == n:
            return {self.EOS}
        left = n - i - 1  # words after this one
        base = _attach(stack)
        allowed = set()
        opens = 1
        # opening k brackets before this word: each new bracket has one child so far
        while _need_words(base + (1,) * opens) <= left:
            allowed.add("(" * opens + PLACEHOLDER)
            opens += 1
        if not stack:  # the first word must open the root
            return allowed
        # no opening: the word joins the innermost bracket, which may then close (>= 2 children)
        closes, rest = 0, base
        while True:
            if left == 0 and not rest:
                allowed.add(PLACEHOLDER + ")" * closes)
            elif left > 0 and rest and _need_words(rest) <= left:
                allowed.add(PLACEHOLDER + ")" * closes)
            if not rest or rest[-1] < 2:
                break
            rest = rest[:-1]
            closes += 1
        return allowed

    def _allowed_brackets(self, n: int, i: int, stack: tuple[int, ...]) -> set[str]:
        if not stack:
            return {"("} if i == 0 else {self.EOS}
        left = n - i
        allowed = set()
        if _need(_attach(stack) + (0,)) <= left:
            allowed.add("(")
        if left > 0 and _need(_attach(stack)) <= left - 1:
            allowed.add(PLACEHOLDER)
        if stack[-1] >= 2 and (len(stack) > 1 or left == 0):
            allowed.add(")")
        return allowed
