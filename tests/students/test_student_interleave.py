"""Word-interleaved targets: what the decoder reads, what decoding admits, what callers get."""

from __future__ import annotations

import itertools
import random

import pytest

from mckd.core.errors import DataError
from mckd.students.interleave import WordInterleavedConstraint, aligned, deinterleave, interleave
from mckd.tasks.constituency.compact import CompactConstraint
from mckd.tasks.slots.constraint import TagConstraint


def admitted(constraint, source: str, limit: int = 10_000) -> list[list[str]]:
    """Every complete symbol sequence the constraint admits for ``source`` (depth-first)."""
    out, stack = [], [(constraint.start(source), [])]
    while stack and len(out) < limit:
        state, seq = stack.pop()
        for sym in sorted(constraint.allowed(state)):
            if sym == constraint.EOS:
                out.append(seq)
            else:
                stack.append((constraint.advance(state, sym), seq + [sym]))
    return out


def test_interleave_round_trip_and_alignment_check():
    assert interleave(["The", "dog", "barked"], "((X X) X)") == "The ((X dog X) barked X)"
    assert deinterleave("The ((X dog X) barked X)") == "((X X) X)"
    assert aligned([("a b", "(X X)"), ("a b c", "(X X)")]) == 1
    assert aligned([("a b", "(X X)")]) is None
    with pytest.raises(ValueError, match="2 symbols for 3 words"):
        interleave(["a", "b", "c"], "(X X)")


@pytest.mark.parametrize("source", ["dog", "the dog", "the big dog barked", "a b c d e"])
def test_wrapped_constraint_admits_the_inner_sequences_with_words_forced(source):
    inner = CompactConstraint("words")
    prepare = lambda s: " ".join(w if w != "big" else "<unk>" for w in s.split())  # noqa: E731
    wrapped = WordInterleavedConstraint(inner, prepare)
    words = prepare(source).split()
    outer = admitted(wrapped, source)
    assert outer, "nothing admitted"
    for seq in outer:
        assert seq[0::2] == words  # every word forced, in order, before its symbol
    assert sorted(seq[1::2] for seq in outer) == sorted(admitted(inner, source))


def test_wrapped_slot_constraint_keeps_iob2_validity():
    wrapped = WordInterleavedConstraint(TagConstraint(["city", "date"]), lambda s: s)
    seqs = admitted(wrapped, "fly to boston today")
    tags = [seq[1::2] for seq in seqs]
    assert len(tags) == 5 ** 4 - sum(1 for t in itertools.product(*[["O", "B-c", "I-c", "B-d", "I-d"]] * 4)
                                     if not _iob2(t))
    assert all(_iob2([t.replace("city", "c").replace("date", "d") for t in ts]) for ts in tags)


def _iob2(tags) -> bool:
    prev = "O"
    for t in tags:
        if t.startswith("I-") and prev[2:] != t[2:]:
            return False
        prev = t
    return True


def test_wrong_word_is_a_caller_bug():
    wrapped = WordInterleavedConstraint(CompactConstraint("words"), lambda s: s)
    with pytest.raises(ValueError, match="'the' is due"):
        wrapped.advance(wrapped.start("the dog"), "dog")


def test_interleave_on_rejects_misaligned_pairs(tmp_path):
    pytest.importorskip("torch")
    from mckd.config.student import StudentConfig
    from mckd.students.seq2seq import Seq2SeqStudentBackend

    cfg = StudentConfig(interleave_words="on", d_model=16, d_ff=16, num_heads=2, num_layers=1,
                        num_decoder_layers=1, max_epochs=1, min_epochs=1)
    with pytest.raises(DataError, match="pair 2 has 1 target symbols for 3 source words"):
        Seq2SeqStudentBackend(cfg).train([("a b", "(X X)"), ("a b c", "X")], tmp_path, seed=0)


def test_random_sources_round_trip():
    rng = random.Random(0)
    for _ in range(50):
        words = [rng.choice("abcdef") for _ in range(rng.randint(1, 9))]
        symbols = " ".join(rng.choice(["X", "(X", "X)"]) for _ in words)
        assert deinterleave(interleave(words, symbols)) == symbols
