"""Batched generation, optionally constrained to a task's well-formed outputs.

Inputs are sorted by length so each batch pads little, generated greedily or with beam
search (``model.generate``), and returned in input order. ``max_new_tokens`` per batch is the
longest input times the target/source length ratio seen in training, plus a margin.

Constrained decoding works on *symbols* (``mckd.tasks.base.DecodingConstraint``). With a
word-level vocabulary every symbol is one token, so ``ConstraintLogitsProcessor`` keeps one
constraint state per hypothesis (keyed by its token prefix, which makes it correct under beam
search, where hypotheses are reordered every step) and sets every disallowed token's score to
-inf. Subword tokenizers (pretrained models) split symbols into several pieces; the student
then logs a warning and decodes unconstrained, leaving well-formedness to ``Task.check``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

from mckd.tasks.base import DecodingConstraint

log = logging.getLogger(__name__)


class ConstraintLogitsProcessor:
    """A transformers logits processor that admits only the constraint's allowed symbols.

    Args:
        constraint: the task's symbol-level constraint.
        sources: the batch's inputs, in batch order.
        num_beams: hypotheses per input (rows of ``input_ids`` are ``input * num_beams + beam``).
        vocab: symbol -> token id (word-level vocabulary).
        eos_id: the token that stands for ``constraint.EOS``.
        decoder_start_id: first token of every decoder prefix (not a symbol).
    """

    def __init__(
        self,
        constraint: DecodingConstraint,
        sources: Sequence[str],
        num_beams: int,
        vocab: dict[str, int],
        eos_id: int,
        decoder_start_id: int,
    ):
        self.constraint = constraint
        self.num_beams = num_beams
        self.vocab = vocab
        self.eos_id = eos_id
        self.id_to_symbol = {i: s for s, i in vocab.items()}
        self.states: dict[tuple, Any] = {}
        self.starts = [constraint.start(src) for src in sources]
        self.decoder_start_id = decoder_start_id
        self._mask_rows: dict[frozenset, list[int]] = {}
        self.dead_ends = 0  # steps where no allowed symbol was in the vocabulary

    def _state(self, item: int, prefix: tuple[int, ...]) -> Any:
        key = (item, prefix)
        if key not in self.states:
            if not prefix:
                state = self.starts[item]
            else:
                parent = self._state(item, prefix[:-1])
                symbol = self.id_to_symbol.get(prefix[-1])
                allowed = self.constraint.allowed(parent) if parent is not None else set()
                state = self.constraint.advance(parent, symbol) if symbol in allowed else None
            self.states[key] = state
        return self.states[key]

    def _allowed_ids(self, state: Any) -> list[int]:
        if state is None:  # finished, or left the constraint (cannot happen when masked)
            return [self.eos_id]
        symbols = frozenset(self.constraint.allowed(state))
        if symbols not in self._mask_rows:
            ids = [self.eos_id if s == self.constraint.EOS else self.vocab.get(s) for s in symbols]
            ids = sorted({i for i in ids if i is not None})
            if not ids:
                self.dead_ends += 1
                ids = [self.eos_id]
            self._mask_rows[symbols] = ids
        return self._mask_rows[symbols]

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        """input_ids (B*beams, L) decoder prefixes; scores (B*beams, V) -> masked scores."""
        import torch

        mask = torch.full_like(scores, -math.inf)
        for row, ids in enumerate(input_ids.tolist()):
            prefix = tuple(ids[1:]) if ids and ids[0] == self.decoder_start_id else tuple(ids)
            if self.eos_id in prefix:  # finished hypothesis: its next token is ignored
                mask[row] = 0
                continue
            mask[row, self._allowed_ids(self._state(row // self.num_beams, prefix))] = 0
        return scores + mask


def generate_texts(
    model: Any,
    tokenizer: Any,
    sources: Sequence[str],
    *,
    num_beams: int = 1,
    batch_size: int = 64,
    length_ratio: float = 4.0,
    constraint: DecodingConstraint | None = None,
    prepare: Callable[[str], str] = lambda s: s,
    precision: str = "fp32",
    progress_desc: str | None = None,
) -> list[str]:
    """Generate one output per source, in input order.

    Args:
        model: a transformers seq2seq model (put in eval mode here).
        tokenizer: its tokenizer; must be word-level when ``constraint`` is given.
        sources: raw input texts.
        num_beams: 1 = greedy.
        batch_size: inputs per ``generate`` call.
        length_ratio: max target tokens per source token (from training data).
        constraint: symbol-level constraint, or None.
        prepare: maps a raw source to the text fed to the tokenizer (unknown-word signatures).
        precision: ``"bf16"`` (autocast) or ``"fp32"``.
        progress_desc: label for a tqdm bar over batches (None = no bar).

    Returns:
        Decoded outputs (special tokens removed, symbols joined by single spaces).
    """
    import torch
    from tqdm.auto import tqdm

    from mckd.students.runtime import autocast, progress_disabled

    model.eval()
    device = next(model.parameters()).device
    encoded = [tokenizer(prepare(src), truncation=True, max_length=1024)["input_ids"] for src in sources]
    order = sorted(range(len(sources)), key=lambda i: -len(encoded[i]))
    outputs: list[str] = [""] * len(sources)
    vocab = tokenizer.get_vocab() if constraint is not None else {}
    start_id = model.config.decoder_start_token_id
    batches = [order[k : k + batch_size] for k in range(0, len(order), batch_size)]
    for batch in tqdm(batches, desc=progress_desc, leave=False,
                      disable=True if progress_desc is None else progress_disabled()):
        padded = tokenizer.pad({"input_ids": [encoded[i] for i in batch]}, return_tensors="pt")
        inputs = {k: v.to(device) for k, v in padded.items()}
        longest = max(len(encoded[i]) for i in batch)
        processors = []
        if constraint is not None:
            processors.append(ConstraintLogitsProcessor(
                constraint, [sources[i] for i in batch], num_beams, vocab,
                tokenizer.eos_token_id, start_id,
            ))
        with torch.no_grad(), autocast(precision, device.type):
            out = model.generate(
                **inputs,
                num_beams=num_beams,
                do_sample=False,
                max_new_tokens=int(math.ceil(longest * length_ratio)) + 8,
                logits_processor=processors or None,
            )
        for i, text in zip(batch, _decode(tokenizer, out.tolist(), start_id), strict=True):
            outputs[i] = " ".join(text.split())
        if processors and processors[0].dead_ends:
            log.warning("%d decoding steps had no allowed symbol in the vocabulary",
                        processors[0].dead_ends)
    return outputs


def _decode(tokenizer: Any, rows: list[list[int]], start_id: int | None) -> list[str]:
    """Token ids -> text. Word-level vocabularies keep ``<unk>`` (it can stand for an input
    word in word-interleaved outputs) and drop only the start, padding and what follows EOS;
    other tokenizers decode with ``skip_special_tokens``."""
    from mckd.students.tokenizer import is_word_level

    if not is_word_level(tokenizer):
        return tokenizer.batch_decode(rows, skip_special_tokens=True)
    texts = []
    for ids in rows:
        if ids and ids[0] == start_id:
            ids = ids[1:]
        if tokenizer.eos_token_id in ids:
            ids = ids[: ids.index(tokenizer.eos_token_id)]
        texts.append(" ".join(t for t, i in zip(tokenizer.convert_ids_to_tokens(ids), ids, strict=True)
                              if i != tokenizer.pad_token_id))
    return texts
