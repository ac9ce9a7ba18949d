"""Validate and repair generated bracketings against their input words.

Generated text is untrusted: any string gives a :class:`~mckd.core.records.Checked`, never an
exception. The repair ladder, applied in this order, each step named in ``reason``:

1. spacing is normalised (``((The)(dog))`` is read as ``( ( The ) ( dog ) )``); spacing alone
   does not make an output "repaired", since every reader ignores it;
2. closing brackets that close nothing are removed, unclosed ones closed at the end (the
   paper's fix-up);
3. text around the tree is removed (LLMs add "Output:" or prose): the tree is the longest run
   (in words) of adjacent top-level brackets; words outside any bracket end a run;
4. empty brackets ``( )`` are removed;
5. several roots are wrapped into one;
6. leaves are matched to the input words: if their concatenation equals the input's, merged
   tokens are re-split and split tokens re-merged; otherwise a difflib alignment substitutes
   changed words, deletes extra ones and inserts missing ones, if at most
   ``max(1, int(MAX_EDIT_FRACTION * n_words))`` words need it (:mod:`.leaf_repair`).

Anything beyond the ladder is ``Status.INVALID`` with the reason. ``target`` is always the
canonical string of the format.
"""

from __future__ import annotations

from mckd.core.records import Checked, Status
from mckd.tasks.constituency.leaf_repair import match_leaves, plural_s
from mckd.tasks.constituency.linearize import (
    build_tree,
    escape_leaf,
    to_labeled,
    to_paper,
    tokenize_labeled,
    tokenize_paper,
)


def check_paper(source: str, text: str) -> Checked:
    """Check a paper-form output for ``source`` (words separated by spaces)."""
    return _check(source, text, labeled=False)


def check_labeled(source: str, text: str) -> Checked:
    """Check a labeled output (``(S (NP The dog ) ... )``); ``target`` keeps the labels."""
    return _check(source, text, labeled=True)


def _check(source: str, text: str, *, labeled: bool) -> Checked:
    def invalid(reason: str) -> Checked:
        return Checked(raw=text, target=None, status=Status.INVALID, reason=reason)

    words = [escape_leaf(w) for w in (source or "").split()]
    if not words:
        return invalid("input has no words")
    if not isinstance(text, str) or not text.strip():
        return invalid("empty output")
    tokenize = tokenize_labeled if labeled else tokenize_paper
    tokens = tokenize(text)
    notes: list[str] = []
    region = _tree_region(tokens, notes)
    if not any(_is_word(t) for t in region):
        return invalid("no bracketed words in output")
    tree = build_tree(region, labeled=labeled)  # the region is one balanced, non-empty tree
    problem = match_leaves(tree, words, notes)
    if problem:
        return invalid(problem)
    target = to_labeled(tree) if labeled else to_paper(tree)
    if tokenize(target) == tokens:
        return Checked(raw=text, target=target, status=Status.VALID)
    if not notes:
        notes.append("rewrote in canonical form")
    return Checked(raw=text, target=target, status=Status.REPAIRED,
                   reason="repaired: " + "; ".join(notes))


def _is_word(token: str) -> bool:
    return token != ")" and not token.startswith("(")


def _tree_region(tokens: list[str], notes: list[str]) -> list[str]:
    """Ladder steps 2-5 on tokens: one balanced root without empty brackets (maybe no words)."""
    runs: list[tuple[int, int, list[str]]] = []  # (first index, end index, tokens) per run
    run: list[str] = []
    run_start = run_end = depth = extra = 0
    for i, tok in enumerate(tokens):
        if tok == ")" and depth == 0:
            extra += 1
        elif _is_word(tok) and depth == 0:
            if run:
                runs.append((run_start, run_end, run))
                run = []
        else:
            if not run:
                run_start = i
            run.append(tok)
            run_end = i + 1
            if tok == ")":
                depth -= 1
            elif not _is_word(tok):
                depth += 1
    if extra:
        notes.append(f"removed {extra} extra closing bracket{plural_s(extra)}")
    if depth:
        run.extend([")"] * depth)
        notes.append(f"added {depth} closing bracket{plural_s(depth)}")
    if run:
        runs.append((run_start, run_end, run))
    if not runs:
        return []
    start, end, best = max(runs, key=lambda r: sum(map(_is_word, r[2])))  # first longest
    _note_removed_text(tokens, start, end, notes)
    best, empty = _drop_empty_brackets(best)
    if empty:
        notes.append(f"removed {empty} empty bracket{plural_s(empty)}")
    roots = _count_roots(best)
    if roots > 1:
        notes.append(f"wrapped {roots} roots into one")
        best = ["("] + best + [")"]
    return best


def _note_removed_text(tokens: list[str], start: int, end: int, notes: list[str]) -> None:
    """Record how many words lie outside ``tokens[start:end]``, the run kept as the tree."""
    before = sum(map(_is_word, tokens[:start]))
    after = sum(map(_is_word, tokens[end:]))
    if before:
        notes.append(f"removed {before} word{plural_s(before)} of text before the tree")
    if after:
        notes.append(f"removed {after} word{plural_s(after)} of text after the tree")


def _drop_empty_brackets(tokens: list[str]) -> tuple[list[str], int]:
    """Remove ``( )`` pairs until none is left (``( ( ) )`` counts as two)."""
    out: list[str] = []
    removed = 0
    for tok in tokens:
        if tok == ")" and out and out[-1].startswith("("):
            out.pop()
            removed += 1
        else:
            out.append(tok)
    return out, removed


def _count_roots(tokens: list[str]) -> int:
    roots = depth = 0
    for tok in tokens:
        if tok == ")":
            depth -= 1
            roots += depth == 0
        elif tok.startswith("("):
            depth += 1
    return roots

