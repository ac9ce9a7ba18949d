"""Test support: read GBNF text (the subset :mod:`mckd.tasks.grammar` emits) back, and decide
whether strings are in its language, so tests check the exact text that is sent to a server.

The subset: one rule per line, ``name ::= alt | alt``, each alternative a sequence of
double-quoted literals and rule names. Anything else is an error here, so a change to what
the grammar module emits cannot go unnoticed.

Two recognizers: :class:`Recognizer`, a memoised top-down matcher (the grammars have no left
recursion), fast enough for every gold target of the demo data; and :func:`lark_accepts`,
the same text translated for ``lark``'s Earley parser (a maintained library; about 5 s per
30-word grammar on a loaded 2-core CPU, too slow for 1,300 grammars), which the tests use to
cross-check the first on a sample.
"""

from __future__ import annotations

import json
import re
from functools import cache

_TOKEN = re.compile(r'\s*(?:(?P<lit>"(?:[^"\\]|\\.)*")|(?P<name>[a-z][a-z0-9-]*)|(?P<bar>\|))')
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}

Rules = dict[str, list[list[tuple[str, str]]]]  # name -> alternatives of ("lit"|"ref", text)


def _unquote(literal: str) -> str:
    body, out, i = literal[1:-1], [], 0
    if "\\" not in body:
        return body
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
        elif body[i + 1] == "x":
            out.append(chr(int(body[i + 2:i + 4], 16)))
            i += 4
        else:
            out.append(_ESCAPES[body[i + 1]])
            i += 2
    return "".join(out)


def parse_gbnf(text: str) -> Rules:
    """The rules of GBNF ``text``; fails on anything outside the subset."""
    rules: Rules = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, rhs = line.partition(" ::= ")
        assert sep and re.fullmatch(r"[a-z][a-z0-9-]*", name), f"not a rule line: {line!r}"
        assert name not in rules, f"rule {name} defined twice"
        alts: list[list[tuple[str, str]]] = [[]]
        pos = 0
        while pos < len(rhs):
            m = _TOKEN.match(rhs, pos)
            assert m and m.end() > pos, f"unexpected text in {name}: {rhs[pos:pos + 20]!r}"
            if m["lit"]:
                alts[-1].append(("lit", _unquote(m["lit"])))
            elif m["name"]:
                alts[-1].append(("ref", m["name"]))
            else:
                alts.append([])
            pos = m.end()
        assert all(alts), f"empty alternative in {name}"
        rules[name] = alts
    assert "root" in rules, "no root rule"
    for alts in rules.values():
        for alt in alts:
            for kind, value in alt:
                assert kind == "lit" or value in rules, f"undefined rule {value}"
    return rules


class Recognizer:
    """Whether strings are in the language of a GBNF text."""

    def __init__(self, gbnf: str):
        self.rules = parse_gbnf(gbnf)

    def accepts(self, text: str) -> bool:
        rules = self.rules

        @cache
        def ends(name: str, start: int) -> frozenset[int]:
            out: set[int] = set()
            for alt in rules[name]:
                positions = {start}
                for kind, value in alt:
                    nxt: set[int] = set()
                    for p in positions:
                        if kind == "lit":
                            if text.startswith(value, p):
                                nxt.add(p + len(value))
                        else:
                            nxt |= ends(value, p)
                    positions = nxt
                    if not positions:
                        break
                out |= positions
            return frozenset(out)

        return len(text) in ends("root", 0)


def lark_accepts(gbnf: str, texts: list[str]) -> list[bool]:
    """Whether lark's Earley parser accepts each text under the GBNF grammar."""
    import lark

    lines = []
    for name, alts in parse_gbnf(gbnf).items():
        rendered = [" ".join(json.dumps(v, ensure_ascii=False) if k == "lit" else _lark(v)
                             for k, v in alt) for alt in alts]
        lines.append(f"{_lark(name)}: {' | '.join(rendered)}")
    parser = lark.Lark("start: r_root\n" + "\n".join(lines), parser="earley", lexer="dynamic")
    out = []
    for text in texts:
        try:
            parser.parse(text)
            out.append(True)
        except lark.exceptions.LarkError:
            out.append(False)
    return out


def _lark(name: str) -> str:
    return "r_" + name.replace("-", "_")
