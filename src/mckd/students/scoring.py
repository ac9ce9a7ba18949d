"""Mean token log-probabilities of a student's own outputs (the KD+SD filter ranks by them).

``score_outputs`` runs one teacher-forced forward pass per batch over (source, output) pairs
and returns, per pair, the mean over the output's *free* tokens of ``log p(token | prefix,
source)`` under the model's unconstrained distribution, end-of-sequence included.

Free tokens are the ones the student chose. In word-interleaved targets (``w1 s1 w2 s2 ...``,
see ``mckd.students.interleave``) the input words are copied, and constrained decoding forces
them, so they say nothing about the student's confidence and are left out: the mean is taken
over the symbols and the end-of-sequence token. The constraint's renormalisation is not used
either: a forced token would then always score log 1 = 0 and pull every mean towards zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ScoredOutput:
    """One output with its confidence (``mckd.pipeline.student_support.ScoredGeneration``).

    Attributes:
        text: the output in the task's target format.
        mean_logprob: mean log-probability (natural log) of its free tokens.
        tokens: how many tokens the mean is over.
    """

    text: str
    mean_logprob: float
    tokens: int


def free_token_mask(length: int, interleaved: bool) -> list[bool]:
    """Which of an output's ``length`` label tokens (EOS last) count in its mean.

    Interleaved outputs alternate copied word (even positions) and chosen symbol (odd
    positions); EOS always counts. A length that does not fit that pattern (which a word-level
    tokenizer cannot produce) counts every token.
    """
    if not interleaved or length % 2 == 0:
        return [True] * length
    return [j % 2 == 1 or j == length - 1 for j in range(length)]


def score_outputs(
    model: Any,
    sources: Sequence[Sequence[int]],
    targets: Sequence[Sequence[int]],
    *,
    tokenizer: Any,
    interleaved: bool,
    batch_size: int,
    precision: str = "fp32",
) -> list[tuple[float, int]]:
    """(mean log-probability of the free tokens, their count) per (source, target) pair.

    Args:
        model: a transformers seq2seq model.
        sources: encoder token ids per example (ending in EOS).
        targets: output token ids per example (ending in EOS).
        tokenizer: the model's tokenizer (padding).
        interleaved: the targets are word-interleaved (see ``free_token_mask``).
        batch_size: pairs per forward pass (sorted by length, so padding stays small).
        precision: ``"bf16"`` (autocast) or ``"fp32"``.
    """
    import torch
    from transformers import DataCollatorForSeq2Seq

    from mckd.students.runtime import autocast

    model.eval()
    collator = DataCollatorForSeq2Seq(tokenizer, model=model)  # labels padded with -100
    device = next(model.parameters()).device
    order = sorted(range(len(sources)), key=lambda i: -(len(sources[i]) + len(targets[i])))
    results: list[tuple[float, int]] = [(0.0, 0)] * len(sources)
    for k in range(0, len(order), batch_size):
        batch = order[k : k + batch_size]
        features = [{"input_ids": sources[i], "labels": targets[i]} for i in batch]
        inputs = {n: v.to(device) for n, v in collator(features).items()}
        labels = inputs.pop("labels")  # (b, T)
        if "decoder_input_ids" not in inputs:  # the model shifts the labels itself
            inputs["labels"] = labels
        with torch.no_grad(), autocast(precision, device.type):
            logits = model(**inputs).logits  # (b, T, V)
        logprobs = torch.log_softmax(logits.float(), dim=-1)  # (b, T, V)
        picked = logprobs.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)  # (b, T)
        picked = picked.masked_fill(labels == -100, 0.0).tolist()
        for row, i in enumerate(batch):
            mask = free_token_mask(len(targets[i]), interleaved)
            values = [v for v, keep in zip(picked[row][: len(mask)], mask, strict=True) if keep]
            results[i] = (sum(values) / len(values), len(values))
    return results
