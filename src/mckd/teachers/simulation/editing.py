"""Random errors toward a planned score, for error models whose answers are small immutable
values (a tuple of slots, a tree copied per edit), plus confusable-label sampling.

:func:`edit_to_plan` is the loop the constituency model runs in place, written once for any
structure: draw an edit kind by weight, apply it to get a candidate, score the candidate. An
edit that does not lower the score is mostly dropped (an LLM's answer drifts away from the
gold, it does not wander around it). The edit that takes the score from above the plan to at or
below it is kept with the probability that makes the expected score equal the plan, so scores
are unbiased rather than always just under the plan.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TypeVar

S = TypeVar("S")

#: chance to keep an edit that does not lower the score
KEEP_UNHELPFUL = 0.2
#: chance that a wrong label comes from the label's own family (when it has one)
FAMILY_SHARE = 0.75

Edit = Callable[[S, random.Random], S | None]


def edit_to_plan(
    start: S,
    score: Callable[[S], float],
    edits: Mapping[str, Edit],
    weights: Mapping[str, float],
    plan: float,
    rng: random.Random,
    keep_u: float,
    budget: int,
) -> tuple[S, float, Counter[str]]:
    """Apply random edits to ``start`` until its score is about ``plan``.

    Args:
        start: the structure to corrupt (never modified: edits return new values).
        score: the structure's score against the gold, in [0, 1].
        edits: edit kind -> function returning an edited copy, or None when the kind has
            nothing to act on.
        weights: edit kind -> drawing weight.
        plan: the planned score in [0, 1].
        rng: the example's random stream for edits.
        keep_u: a uniform draw deciding whether the edit crossing the plan is kept.
        budget: the most edits to draw (inputs with few units may not reach the plan).

    Returns:
        The corrupted structure, its score and how many edits of each kind were kept.
    """
    kinds = list(edits)
    kind_weights = [weights[k] for k in kinds]
    current, current_score = start, score(start)
    kept: Counter[str] = Counter()
    while current_score > plan and budget > 0:
        budget -= 1
        kind = rng.choices(kinds, kind_weights)[0]
        candidate = edits[kind](current, rng)
        if candidate is None:
            continue
        new = score(candidate)
        crossing = new <= plan < current_score and \
            keep_u >= (current_score - plan) / (current_score - new)
        if crossing:
            break  # stay above the plan; the expected score is the plan
        if new >= current_score and rng.random() >= KEEP_UNHELPFUL:
            continue
        current, current_score = candidate, new
        kept[kind] += 1
    return current, current_score, kept


class LabelSampler:
    """Draws the wrong label an LLM would write instead of a gold one.

    Most of the time a label of the same *family* (e.g. ``city`` for ``state``; a family is a
    set of labels an LLM confuses), otherwise any label of the inventory, by frequency.

    Args:
        frequencies: label -> how often the reference gold uses it (the inventory).
        families: sets of confusable labels; labels outside the inventory are ignored.
    """

    def __init__(self, frequencies: Mapping[str, int], families: Sequence[Collection[str]]):
        self.labels = sorted(frequencies)
        self.weights = [frequencies[x] for x in self.labels]
        self.family: dict[str, list[str]] = {}
        for family in families:
            known = sorted(x for x in family if x in frequencies)
            for label in known:
                self.family[label] = [x for x in known if x != label]

    def wrong(self, label: str, rng: random.Random) -> str | None:
        """A label other than ``label`` (None when the inventory has no other)."""
        kin = self.family.get(label)
        if kin and rng.random() < FAMILY_SHARE:
            return rng.choice(kin)
        others = [(x, w) for x, w in zip(self.labels, self.weights) if x != label]
        if not others:
            return None
        return rng.choices([x for x, _ in others], [w for _, w in others])[0]

    def any(self, rng: random.Random) -> str:
        """A label of the inventory, by frequency (for spurious slots)."""
        return rng.choices(self.labels, self.weights)[0]
