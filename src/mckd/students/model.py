"""Build a seq2seq student: pretrained weights, or a small model from a config.

From scratch the sizes come from ``StudentConfig``. Two families:

- ``bart``: learned absolute positions on both sides, so decoder step i can attend to input
  word i directly; with the one-symbol-per-word compact target this learns much faster on CPU.
- ``t5``: relative position buckets and no position signal in cross-attention (as t5-base).

Either way the result is a plain ``transformers`` model: ``save_pretrained`` writes a folder
that ``AutoModelForSeq2SeqLM.from_pretrained`` loads without mckd.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from mckd.config.student import StudentConfig

log = logging.getLogger(__name__)

#: longest input/target (in tokens) a from-scratch BART can take; longer inputs are truncated.
MAX_POSITIONS = 1024


def build_scratch_model(cfg: StudentConfig, tokenizer: Any) -> Any:
    """A randomly initialised seq2seq model sized by ``cfg`` for ``tokenizer``'s vocabulary.

    Seed torch before calling: the initial weights come from torch's global generator.
    """
    from transformers import (
        AutoModelForSeq2SeqLM, BartConfig, MarianConfig, PegasusConfig, T5Config,
    )

    pad, eos = tokenizer.pad_token_id, tokenizer.eos_token_id
    if cfg.architecture == "t5":
        config = T5Config(
            vocab_size=len(tokenizer),
            d_model=cfg.d_model,
            d_kv=cfg.d_model // cfg.num_heads,
            d_ff=cfg.d_ff,
            num_layers=cfg.num_layers,
            num_decoder_layers=cfg.num_decoder_layers,
            num_heads=cfg.num_heads,
            dropout_rate=cfg.dropout,
            feed_forward_proj="relu",
            pad_token_id=pad,
            eos_token_id=eos,
            decoder_start_token_id=pad,
        )
    else:
        family = {"bart": BartConfig, "marian": MarianConfig, "pegasus": PegasusConfig}[
            cfg.architecture
        ]
        values = dict(
            vocab_size=len(tokenizer),
            max_position_embeddings=MAX_POSITIONS,
            d_model=cfg.d_model,
            encoder_layers=cfg.num_layers,
            decoder_layers=cfg.num_decoder_layers,
            encoder_attention_heads=cfg.num_heads,
            decoder_attention_heads=cfg.num_heads,
            encoder_ffn_dim=cfg.d_ff,
            decoder_ffn_dim=cfg.d_ff,
            dropout=cfg.dropout,
            attention_dropout=0.0,
            activation_dropout=0.0,
            activation_function="gelu",
            scale_embedding=True,
            pad_token_id=pad,
            bos_token_id=pad,
            eos_token_id=eos,
            decoder_start_token_id=pad,
            forced_eos_token_id=None,
            # 0.02 (tuned for d_model 768-1024) leaves a small model's attention uniform for
            # hundreds of steps; 1/sqrt(d_model) starts learning several epochs sooner
            init_std=cfg.d_model**-0.5,
        )
        accepted = inspect.signature(family.__init__).parameters
        config = family(**{k: v for k, v in values.items() if k in accepted})
    model = AutoModelForSeq2SeqLM.from_config(config)
    log.info("built %s from scratch: %.2fM parameters", cfg.architecture, count_parameters(model) / 1e6)
    return model


def load_pretrained(name_or_path: str) -> tuple[Any, Any]:
    """``AutoModelForSeq2SeqLM`` + ``AutoTokenizer`` from a Hugging Face name or folder."""
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    model = AutoModelForSeq2SeqLM.from_pretrained(name_or_path)
    return model, tokenizer


def count_parameters(model: Any) -> int:
    """Number of distinct parameters (tied weights counted once)."""
    return sum(p.numel() for p in model.parameters())

