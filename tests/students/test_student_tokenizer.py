"""Word-level student tokenizers: vocabulary, unknown words, save/load with plain transformers."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers")

from transformers import AutoTokenizer  # noqa: E402

from mckd.students.tokenizer import (  # noqa: E402
    is_word_level,
    map_unknown_words,
    train_word_tokenizer,
    unknown_signature,
)

SOURCES = ["the dog barked .", "the cat sat .", "the dog sat quietly ."]
TARGETS = ["((X X) X X)", "((X X) X X)", "((X X) (X X) X)"]


def test_target_symbols_are_single_tokens_and_rare_words_are_not():
    tok = train_word_tokenizer(SOURCES, TARGETS, min_frequency=2, extra_symbols=["X)))"])
    vocab = tok.get_vocab()
    for sym in ("((X", "X", "X)", "(X", "X)))"):
        assert sym in vocab
    assert "the" in vocab and "dog" in vocab  # seen 3 and 2 times
    assert "barked" not in vocab  # seen once
    ids = tok("((X X) X X)")["input_ids"]
    assert ids[-1] == tok.eos_token_id and len(ids) == 5


def test_signatures_replace_unknown_words():
    assert unknown_signature("running") == "<unk:-ing>"
    assert unknown_signature("Smith") == "<unk:Cap->"
    assert unknown_signature("3.5") == "<unk:num>"
    assert unknown_signature("IL-2") == "<unk:DigCAPSHyph->"
    vocab = {"the": 1, "<unk>": 2, "<unk:-ing>": 3}
    assert map_unknown_words("the running", vocab, "signature") == "the <unk:-ing>"
    # a signature the vocabulary lacks, and the plain mode, fall back to <unk>
    assert map_unknown_words("the Smith", vocab, "signature") == "the <unk>"
    assert map_unknown_words("the running", vocab, "unk") == "the <unk>"


def test_signature_tokens_are_trained_from_rare_words():
    tok = train_word_tokenizer(SOURCES, TARGETS, min_frequency=2, unknown_words="signature")
    assert unknown_signature("barked") in tok.get_vocab()
    tok = train_word_tokenizer(SOURCES, TARGETS, min_frequency=2, unknown_words="unk")
    assert unknown_signature("barked") not in tok.get_vocab()


def test_saved_tokenizer_loads_with_auto_tokenizer(tmp_path):
    tok = train_word_tokenizer(SOURCES, TARGETS, min_frequency=1)
    tok.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    assert loaded.get_vocab() == tok.get_vocab()
    assert (loaded.pad_token_id, loaded.eos_token_id, loaded.unk_token_id) == (0, 1, 2)
    ids = loaded("the dog ((X X)")["input_ids"]
    assert loaded.decode(ids, skip_special_tokens=True) == "the dog ((X X)"
    assert is_word_level(loaded)
