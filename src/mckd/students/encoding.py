"""Token ids a student trains on: prepared sources, (word-interleaved) targets, length ratio.

``Seq2SeqStudentBackend.train`` and ``bench/student_speed.py`` both build their training data
here, so a benchmark trains on exactly the ids a student trains on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mckd.students.interleave import interleave

MAX_TOKENS = 1024  # longest source/target kept (tokenizer truncation)


@dataclass(frozen=True)
class EncodedPairs:
    """Training pairs as token ids.

    Attributes:
        sources: per example, encoder ids ending in eos.
        targets: per example, label ids ending in eos.
        length_ratio: 1.2 x the largest target/source length ratio (bounds generation length).
    """

    sources: list[list[int]]
    targets: list[list[int]]
    length_ratio: float


def encode_pairs(
    tokenizer: Any,
    pairs: Sequence[tuple[str, str]],
    prepare: Callable[[str], str],
    *,
    interleave_words: bool,
) -> EncodedPairs:
    """Tokenise ``pairs`` the way a student trains on them.

    Args:
        tokenizer: the student's tokenizer.
        pairs: (raw source, target in the student's target format).
        prepare: raw source -> text fed to the tokenizer (unknown-word signatures).
        interleave_words: write targets as ``w1 s1 w2 s2 ...`` (see ``interleave``).
    """
    prepared = [prepare(s) for s, _ in pairs]
    if interleave_words:
        texts = [interleave(p.split(), t) for p, (_, t) in zip(prepared, pairs, strict=True)]
    else:
        texts = [t for _, t in pairs]
    sources = [tokenizer(p, truncation=True, max_length=MAX_TOKENS)["input_ids"] for p in prepared]
    targets = [tokenizer(t, truncation=True, max_length=MAX_TOKENS)["input_ids"] for t in texts]
    ratio = max(len(t) / len(s) for s, t in zip(sources, targets, strict=True))
    return EncodedPairs(sources, targets, round(ratio * 1.2, 3))
