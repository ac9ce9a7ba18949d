"""The output grammar of a constituency input: paper-form bracketings over its words.

The paper form writes every word as ``( word )`` and every constituent of two or more words as
``( ... )`` around its children, tokens separated by single spaces. For an input of ``n``
words the grammar admits exactly the strings that

* hold the input's words (escaped as leaves: ``-LRB-``/``-RRB-``), each once, in order;
* are balanced, with a single root bracket, and no empty bracket;
* close no bracket that has fewer than two children *where this can be told locally*: the
  state tracks the child count of the innermost open bracket only (0, 1, 2+), and a bracket
  gets "2+" as soon as a nested bracket closes inside it. So ``( ( a ) )`` and ``( )`` are
  out, but a bracket whose single child is a multi-word bracket (``( ( ( a ) ( b ) ) )``) is
  admitted: the task's check collapses it (status ``repaired``, "rewrote in canonical form"),
  its spans unchanged. Tracking every level exactly would need a stack of counts, i.e. one
  nonterminal per span, whose ambiguity llama.cpp's grammar engine pays for at every token;
* nest at most ``n - 1`` deep (no well-formed tree over ``n`` words is deeper).

The grammar is right-linear: each rule is one token then the next state ``s-I-D-C`` (``I``
words written, ``D`` brackets open, ``C`` children of the innermost one), so a decoder
tracks one state at a time. An optional space may come first (completion prompts end with
``Output:``).
"""

from __future__ import annotations

from collections import deque

from mckd.tasks.constituency.linearize import escape_leaf
from mckd.tasks.grammar import Grammar, Ref

#: words still needed before the innermost bracket may close, by its child count
_NEED = {0: 2, 1: 1, 2: 0}


def paper_grammar(source: str) -> Grammar:
    """The grammar of paper-form outputs for ``source`` (words separated by spaces).

    Raises:
        ValueError: ``source`` has no words.
    """
    words = [escape_leaf(w) for w in source.split()]
    n = len(words)
    if n == 0:
        raise ValueError("an input without words has no output grammar")
    grammar = Grammar()
    if n == 1:
        for lead in ("", " "):
            grammar.add("root", f"{lead}( {words[0]} )")
        return grammar
    start = (0, 1, 0)
    for lead in ("", " "):
        grammar.add("root", f"{lead}(", Ref(_name(start)))
    max_depth = n - 1
    seen, todo = {start}, deque([start])
    while todo:
        state = todo.popleft()
        for token, nxt in _moves(state, words, max_depth):
            if nxt is None:
                grammar.add(_name(state), token)
                continue
            grammar.add(_name(state), token, Ref(_name(nxt)))
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return grammar


def _moves(state: tuple[int, int, int], words: list[str], max_depth: int
           ) -> list[tuple[str, tuple[int, int, int] | None]]:
    """(token, next state) pairs from ``state`` that can still reach the end (None: the end)."""
    i, depth, children = state
    left = len(words) - i
    moves: list[tuple[str, tuple[int, int, int] | None]] = []
    if left >= 2 and depth < max_depth:
        moves.append((" (", (i, depth + 1, 0)))
    if left >= 1:
        nxt = (i + 1, depth, min(children + 1, 2))
        if left - 1 >= _NEED[nxt[2]]:
            moves.append((f" ( {words[i]} )", nxt))
    if children == 2:
        if depth == 1:
            if left == 0:
                moves.append((" )", None))
        else:
            moves.append((" )", (i, depth - 1, 2)))
    return moves


def _name(state: tuple[int, int, int]) -> str:
    return "s-{}-{}-{}".format(*state)
