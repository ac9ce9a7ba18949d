"""The output grammar of a slot-filling input: interleaved ``word TAG`` pairs over its words.

For an input of ``n`` words and a slot-type inventory, the grammar admits exactly the strings
``w1 T1 w2 T2 ... wn Tn`` (single spaces) where the words are the input's, in order, and the
tags are valid IOB2 over the inventory: ``O``, ``B-<type>``, or ``I-<type>`` right after a
``B-``/``I-`` tag of the same type. An optional space may come first (completion prompts end
with ``Output:``).

Rules: ``q-I`` is the tag of word ``I`` and what follows it; ``p-I-K`` is word ``I`` and what
follows, after a tag of type number ``K`` (0: after ``O`` or at the start). Both are
right-linear, so the grammar has about ``n * (types + 1)`` rules.
"""

from __future__ import annotations

from collections.abc import Collection

from mckd.tasks.grammar import Grammar, Item, Ref


def interleaved_grammar(source: str, slot_types: Collection[str]) -> Grammar:
    """The grammar of interleaved outputs for ``source`` over ``slot_types``.

    Raises:
        ValueError: ``source`` has no words, or ``slot_types`` is empty.
    """
    words = source.split()
    n = len(words)
    if n == 0:
        raise ValueError("an input without words has no output grammar")
    if not slot_types:
        raise ValueError("the grammar needs the slot-type inventory")
    types = sorted(slot_types)
    grammar = Grammar()

    def then(i: int, kind: int) -> tuple[Item, ...]:
        return () if i == n else (Ref(f"p-{i}-{kind}"),)

    for lead in ("", " "):
        grammar.add("root", f"{lead}{words[0]}", Ref("q-0"))
    for i, word in enumerate(words):
        grammar.add(f"q-{i}", " O", *then(i + 1, 0))
        for k, typ in enumerate(types, start=1):
            grammar.add(f"q-{i}", f" B-{typ}", *then(i + 1, k))
        if i == 0:
            continue
        for k in range(len(types) + 1):
            grammar.add(f"p-{i}-{k}", f" {word}", Ref(f"q-{i}"))
            if k:
                grammar.add(f"p-{i}-{k}", f" {word} I-{types[k - 1]}", *then(i + 1, k))
    return grammar
