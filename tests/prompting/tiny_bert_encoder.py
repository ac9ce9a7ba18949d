"""A tiny randomly initialised BERT and a word-level vocabulary, saved to a folder like any
checkpoint: a real encoder for dense-selection tests, with no download."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def build_tiny_bert(folder: Path, words: Iterable[str]) -> Path:
    """Save a 2-layer BERT (hidden 32) whose vocabulary is ``words`` (lower-cased) to ``folder``."""
    import torch
    import transformers

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = {w: i for i, w in enumerate(dict.fromkeys([*specials, *(w.lower() for w in words)]))}
    tokenizer = transformers.BertTokenizer(vocab=vocab)
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2,
                                     num_attention_heads=2, intermediate_size=64,
                                     max_position_embeddings=128)
    transformers.BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
