"""Choosing one symbol per word from a tagger's scores, under a task's decoding constraint.

A tagger scores every label (target symbol) at every word independently; the task's
``DecodingConstraint`` says which symbols may follow which. Greedy decoding takes, word by
word, the best-scoring label the constraint allows; beam search keeps the ``beams`` best
partial sequences by summed log-probability. Only labels that are ``in`` the constraint's
allowed set are considered, so a constraint may return any container with ``__contains__``
(the TOP ``words`` constraint does: its symbols are combinatorial).

If none of the tagger's labels is allowed (a dead end: the constraint admits a symbol the
tagger never learned), the smallest allowed symbol is written with log-probability
``DEAD_END_LOGPROB`` and counted, so every output stays well formed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mckd.tasks.base import DecodingConstraint

#: log-probability charged for a symbol outside the tagger's labels (a dead end)
DEAD_END_LOGPROB = -30.0


@dataclass
class Decoded:
    """One input's decoded symbols.

    Attributes:
        symbols: one symbol per word.
        logprobs: per word, the tagger's log-probability of the chosen symbol (unconstrained
            distribution).
        dead_ends: words where no tagger label was allowed.
    """

    symbols: list[str]
    logprobs: list[float]
    dead_ends: int = 0


def _candidates(constraint: DecodingConstraint, state: Any, labels: Sequence[str],
                row: Sequence[float]) -> list[tuple[float, str]]:
    allowed = constraint.allowed(state)
    options = [(row[j], sym) for j, sym in enumerate(labels) if sym in allowed]
    if options:
        return options
    concrete = sorted(s for s in allowed if s != constraint.EOS)  # needs an iterable set
    if not concrete:
        raise ValueError(f"the constraint allows nothing but EOS before the last word ({state!r})")
    return [(DEAD_END_LOGPROB, concrete[0])]


def decode(logprobs: Any, labels: Sequence[str], source: str,
           constraint: DecodingConstraint | None = None, beams: int = 1) -> Decoded:
    """The best symbol sequence for one input.

    Args:
        logprobs: ``[words, labels]`` log-probabilities (a NumPy array or nested lists).
        labels: the tagger's label symbols, in column order.
        source: the input (the constraint's ``start``).
        constraint: the task's constraint, or None for a free per-word argmax.
        beams: 1 = greedy.

    Returns:
        The chosen symbols with their log-probabilities.
    """
    rows = [list(map(float, r)) for r in logprobs]
    if constraint is None:
        best = [max(range(len(labels)), key=r.__getitem__) for r in rows]
        return Decoded([labels[j] for j in best], [r[j] for r, j in zip(rows, best, strict=True)])
    # a hypothesis: (summed log-prob, state, symbols, their log-probs, dead ends)
    hyps = [(0.0, constraint.start(source), [], [], 0)]
    for row in rows:
        grown = []
        for total, state, symbols, scores, dead in hyps:
            for score, sym in _candidates(constraint, state, labels, row):
                grown.append((total + score, constraint.advance(state, sym), symbols + [sym],
                              scores + [score], dead + (score == DEAD_END_LOGPROB)))
        grown.sort(key=lambda h: -h[0])
        hyps = grown[:beams]
    finished = [h for h in hyps if constraint.EOS in constraint.allowed(h[1])]
    total, _, symbols, scores, dead = (finished or hyps)[0]
    return Decoded(symbols, scores, dead)
