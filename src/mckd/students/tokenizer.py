"""Word-level tokenizers for students trained from scratch.

One vocabulary serves both sides: every *target* symbol of the training pairs (plus any symbol
the decoding constraint may allow), and the *source* words seen at least ``min_frequency``
times. Rarer and unseen source words are replaced, before tokenisation, by an unknown-word
signature such as ``<unk:-ing>`` or ``<unk:Cap>`` (the classic parser trick: the suffix and
shape of an unknown word still say a lot about where it attaches). Words that occur only once
in training are mapped the same way, so the signatures get trained.

The tokenizer is a ``tokenizers`` WordLevel model (whitespace split, ``<pad>``/``</s>``/
``<unk>``, ``</s>`` appended) wrapped for transformers, so a saved student loads with plain
``AutoTokenizer.from_pretrained(folder)``. Signature mapping is mckd's own preprocessing
(``map_unknown_words``); a plain-transformers user who skips it gets ``<unk>`` for unknown
words, which degrades gracefully.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

PAD, EOS, UNK = "<pad>", "</s>", "<unk>"
SPECIAL_TOKENS = (PAD, EOS, UNK)

_SUFFIXES = ("ing", "ed", "ly", "ion", "ity", "al", "ic", "ous", "ive", "ase", "in", "er", "es", "s")
_NUMBER = re.compile(r"^[\d.,:/+-]*\d[\d.,:/+-]*$")


def unknown_signature(word: str) -> str:
    """A coarse class token for a word outside the vocabulary, e.g. ``<unk:Cap-ing>``."""
    if _NUMBER.match(word):
        return "<unk:num>"
    shape = ""
    if any(ch.isdigit() for ch in word):
        shape += "Dig"
    if word[:1].isupper():
        shape += "CAPS" if word.isupper() and len(word) > 1 else "Cap"
    if "-" in word:
        shape += "Hyph"
    if not any(ch.isalnum() for ch in word):
        return f"<unk:punct{shape}>"
    lower = word.lower()
    suffix = next((s for s in _SUFFIXES if lower.endswith(s) and len(lower) > len(s) + 2), "")
    return f"<unk:{shape}-{suffix}>"


def map_unknown_words(text: str, vocab: dict[str, int] | set[str], mode: str) -> str:
    """Replace source words missing from ``vocab`` by in-vocabulary tokens.

    With ``mode="signature"`` a missing word becomes its signature when the vocabulary has that
    signature, else ``<unk>``; with any other mode it becomes ``<unk>``. (The tokenizer would map
    a missing token to ``<unk>`` anyway; writing it out keeps every returned token a real
    vocabulary entry, which word-interleaved decoding relies on.)
    """
    out = []
    for w in text.split():
        if w not in vocab:
            sig = unknown_signature(w) if mode == "signature" else UNK
            w = sig if sig in vocab else UNK
        out.append(w)
    return " ".join(out)


def train_word_tokenizer(
    sources: Sequence[str],
    targets: Sequence[str],
    *,
    min_frequency: int = 2,
    extra_symbols: Iterable[str] = (),
    unknown_words: str = "signature",
) -> Any:
    """Build a word-level tokenizer from training pairs.

    Args:
        sources: input texts (words separated by whitespace).
        targets: target texts; every symbol in them gets a token regardless of frequency.
        min_frequency: source words seen fewer times are left out of the vocabulary.
        extra_symbols: further symbols to include (e.g. a constraint's full symbol set).
        unknown_words: ``"signature"`` adds a token per unknown-word signature seen in the
            (rare) training words; ``"unk"`` uses only ``<unk>``.

    Returns:
        A ``transformers.PreTrainedTokenizerFast`` (pad id 0, eos id 1, unk id 2).
    """
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    counts = Counter(w for text in sources for w in text.split())
    vocab: dict[str, int] = {tok: i for i, tok in enumerate(SPECIAL_TOKENS)}

    def add(sym: str) -> None:
        if sym not in vocab:
            vocab[sym] = len(vocab)

    for sym in sorted({s for text in targets for s in text.split()} | set(extra_symbols)):
        add(sym)
    for word, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if count >= min_frequency:
            add(word)
        elif unknown_words == "signature":
            add(unknown_signature(word))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(
        single=f"$A {EOS}", pair=f"$A {EOS} $B {EOS}", special_tokens=[(EOS, vocab[EOS])]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token=PAD, eos_token=EOS, unk_token=UNK
    )


def is_word_level(tokenizer: Any) -> bool:
    """True when ``tokenizer`` maps whitespace-separated symbols to single tokens."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    return backend is not None and type(backend.model).__name__ == "WordLevel"
