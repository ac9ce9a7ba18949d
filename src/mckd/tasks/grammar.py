"""Per-input output grammars, rendered as GBNF for grammar-constrained LLM decoding.

A :class:`Grammar` is a set of rules, each a list of alternatives, each a sequence of literal
strings and references to other rules; nothing else (no character classes, repetition or
grouping). That subset is valid GBNF (llama.cpp's ``grammar`` field) and valid for XGrammar,
which vLLM (``structured_outputs.grammar``) and SGLang (``ebnf``) use, so one text serves all
three. The tests read the same text back (translated to a ``lark`` grammar) to check that every
gold target is admitted and malformed ones are not, so the text sent and the text tested cannot
drift.

Tasks build one grammar per input (:meth:`mckd.tasks.base.Task.output_grammar`): the input's
words are known, so the grammar admits only outputs over exactly those words, in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

#: a rule name: lowercase letters, digits and dashes (GBNF allows them; names never clash
#: with literals)
_NAME = re.compile(r"[a-z][a-z0-9-]*")


@dataclass(frozen=True)
class Ref:
    """A reference to the rule ``name``."""

    name: str


Item = str | Ref  #: a literal string, or a rule reference


@dataclass
class Grammar:
    """Rules by name; ``root`` is where matching starts.

    Attributes:
        rules: name -> alternatives; an alternative is a non-empty tuple of items (literal
            strings and :class:`Ref`), matched in sequence.
    """

    rules: dict[str, list[tuple[Item, ...]]] = field(default_factory=dict)

    def add(self, name: str, *alternative: Item) -> None:
        """Append ``alternative`` (a sequence of items) to rule ``name``."""
        if not _NAME.fullmatch(name):
            raise ValueError(f"bad rule name {name!r}: lowercase letters, digits and dashes")
        if not alternative or any(item == "" for item in alternative):
            raise ValueError(f"rule {name!r}: an alternative needs items, and no empty literal")
        self.rules.setdefault(name, []).append(tuple(alternative))

    def check(self) -> None:
        """Raise ValueError if ``root`` is missing or a reference names no rule."""
        if "root" not in self.rules:
            raise ValueError("grammar has no 'root' rule")
        for name, alternatives in self.rules.items():
            for alt in alternatives:
                for item in alt:
                    if isinstance(item, Ref) and item.name not in self.rules:
                        raise ValueError(f"rule {name!r} refers to undefined rule {item.name!r}")

    def to_gbnf(self) -> str:
        """The grammar as GBNF text, one rule per line, ``root`` first."""
        self.check()
        order = ["root", *sorted(n for n in self.rules if n != "root")]
        lines = []
        for name in order:
            alts = " | ".join(" ".join(_gbnf_item(i) for i in alt) for alt in self.rules[name])
            lines.append(f"{name} ::= {alts}")
        return "\n".join(lines) + "\n"


def _gbnf_item(item: Item) -> str:
    return item.name if isinstance(item, Ref) else gbnf_literal(item)


@lru_cache(maxsize=4096)
def gbnf_literal(text: str) -> str:
    """``text`` as a double-quoted GBNF string (``"``, ``\\`` and control characters escaped)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'

