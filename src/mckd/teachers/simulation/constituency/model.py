"""How a few-shot LLM's constituency parses go wrong, applied to gold trees.

Per example: the teacher's systematic rules (:mod:`.rules`) rewrite the labeled gold tree;
random edits (:mod:`.random_errors`) continue until the sentence F1 is about the planned score;
the tree is written in paper form; then, at the configured rates, one word is dropped,
duplicated or changed, the brackets are unbalanced or the answer is cut off (finish reason
"length"), and the layout is loosened (:mod:`.surface`).

The reference sample (``mckd/data/simulation/constituency_craft_reference.txt.gz``) holds
2,000 normalised CRAFT trees (CC BY 3.0, Bada et al. 2012) of more than one token, drawn with
a fixed seed from the 67 articles the paper used; ``bench/simulated_teacher.py
--write-reference`` rebuilds it.
"""

from __future__ import annotations

import functools
import gzip
import random
import re
from dataclasses import dataclass
from pathlib import Path

from nltk import Tree

from mckd.core.errors import DataError
from mckd.core.records import Example
from mckd.tasks.constituency.linearize import to_paper, tokenize_paper
from mckd.tasks.constituency.metrics import PUNCT_TAGS, span_set_f1
from mckd.teachers.simulation import surface as shared_surface
from mckd.teachers.simulation.base import ErrorModel, Plan, Simulated, answer
from mckd.teachers.simulation.constituency import surface
from mckd.teachers.simulation.constituency.random_errors import corrupt_to
from mckd.teachers.simulation.constituency.rules import GROUPS, RULES, apply_rules
from mckd.teachers.simulation.constituency.tree import (
    Node,
    Sentence,
    from_nltk,
    spans,
    to_nltk,
)

_PRETERMINAL = re.compile(r"\(([^\s()]+) [^\s()]+\)")
REFERENCE_FILE = (Path(__file__).resolve().parents[3] / "data" / "simulation"
                  / "constituency_craft_reference.txt.gz")


@dataclass(frozen=True)
class PreparedTree:
    """A gold tree ready for corruption: the tree, its sentence facts and gold spans."""

    root: Node
    sent: Sentence
    gold: frozenset[tuple[int, int]]


class ConstituencyErrorModel(ErrorModel):
    """LLM-like errors for paper-form constituency parses (see the module docstring)."""

    task_name = "constituency"
    rule_names = tuple(RULES)
    rule_groups = GROUPS

    def prepare(self, example: Example) -> PreparedTree:
        """Parse the gold tree of ``example``.

        Raises:
            DataError: the gold is missing or is not a bracketed tree with POS tags.
        """
        if example.gold is None:
            raise DataError(f"example {example.id!r} has no gold tree")
        try:
            tree = Tree.fromstring(example.gold)
        except ValueError as exc:
            raise DataError(f"example {example.id!r}: gold is not a tree ({exc}); regenerate "
                            "the dataset with `mckd data`") from None
        root, sent = from_nltk(tree, PUNCT_TAGS)
        return PreparedTree(root, sent, frozenset(spans(root, sent)))

    def size(self, prepared: PreparedTree) -> int:
        return prepared.sent.n_scored

    def systematic_score(self, prepared: PreparedTree, rules: tuple[str, ...]) -> float:
        root = prepared.root.copy()
        apply_rules(root, prepared.sent, rules)
        return span_set_f1(set(prepared.gold), spans(root, prepared.sent))

    def simulate(self, prepared: PreparedTree, plan: Plan, edits: random.Random,
                 surface_rng: random.Random) -> Simulated:
        sent, gold = prepared.sent, set(prepared.gold)
        root = prepared.root.copy()
        fired = apply_rules(root, sent, plan.rules)
        systematic = span_set_f1(gold, spans(root, sent))
        score, counts = systematic, {}
        if plan.random_errors:
            root, score, kept = corrupt_to(root, sent, gold, plan.score, edits, plan.keep_u)
            counts = dict(kept)
        tokens = tokenize_paper(to_paper(to_nltk(root, sent)))
        word_pos = [i for i, t in enumerate(tokens) if t not in ("(", ")")]
        scored = [p for k, p in enumerate(word_pos) if sent.rank[k] is not None] or word_pos
        text, finish, damage = shared_surface.damage(
            tokens, surface_rng, self.config,
            word_error=lambda toks, rng: surface.word_error(toks, scored, rng),
            tokens=list, malform=surface.malform, join=surface.join)
        return answer(text, finish, damage, plan, score=score, systematic=systematic,
                      random_errors=counts, rules_fired=fired)

    def reference(self) -> list[Example]:
        return list(_reference())

    def reference_sizes(self) -> list[int]:
        """Scored words per reference tree, read off the POS tags without building trees."""
        return [sum(tag not in PUNCT_TAGS for tag in _PRETERMINAL.findall(ex.gold or ""))
                for ex in _reference()]


@functools.lru_cache(maxsize=1)
def _reference() -> tuple[Example, ...]:
    if not REFERENCE_FILE.is_file():
        raise DataError("the simulated teacher's reference sample is missing from the "
                        "installation; reinstall mckd", path=str(REFERENCE_FILE))
    with gzip.open(REFERENCE_FILE, "rt", encoding="utf-8") as fh:
        lines = [line.strip() for line in fh if line.strip()]
    return tuple(
        Example(id=f"reference-{i}", source=" ".join(Tree.fromstring(line).leaves()), gold=line)
        for i, line in enumerate(lines)
    )
