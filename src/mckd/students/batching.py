"""Length-bucketed batches of token-id pairs, with padding kept small.

An epoch shuffles the examples, cuts them into chunks of ``chunk_batches`` batches, sorts each
chunk by length and slices it into batches (``batch_size`` examples, or as many as fit a token
budget), then shuffles the batch order. Batches hold examples of similar length (little
padding) while the epoch stays random.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

IGNORE_INDEX = -100  # label value the loss skips (padding)


def bucketed_batches(
    lengths: Sequence[int], batch_size: int, rng: random.Random, *, chunk_batches: int = 50
) -> list[list[int]]:
    """Split example indices into batches of similar length.

    Args:
        lengths: one length per example (e.g. source + target tokens).
        batch_size: examples per batch (the last batch of a chunk may be smaller).
        rng: the epoch's random generator (seeded by the caller).
        chunk_batches: batches per sorting chunk; larger = less padding, less randomness.

    Returns:
        Lists of example indices; every index appears exactly once.
    """
    order = list(range(len(lengths)))
    rng.shuffle(order)
    chunk = batch_size * chunk_batches
    batches = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i])
        batches.extend(part[k : k + batch_size] for k in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


def token_budget_batches(
    lengths: Sequence[int], max_tokens: int, rng: random.Random, *, chunk_batches: int = 50
) -> list[list[int]]:
    """Split example indices into batches of similar length holding at most ``max_tokens``.

    Like ``bucketed_batches``, but a batch is cut when its padded size (examples x longest
    length) would exceed ``max_tokens``: batches of short examples hold more of them, so every
    step costs about the same. An example longer than the budget forms a batch of its own.

    Args:
        lengths: one length per example (source + target tokens).
        max_tokens: padded tokens per batch.
        rng: the epoch's random generator (seeded by the caller).
        chunk_batches: batches (of the mean length) per sorting chunk.

    Returns:
        Lists of example indices; every index appears exactly once.
    """
    order = list(range(len(lengths)))
    rng.shuffle(order)
    mean = sum(lengths) / max(1, len(lengths))
    chunk = max(1, int(max_tokens // max(mean, 1.0))) * chunk_batches
    batches: list[list[int]] = []
    for start in range(0, len(order), chunk):
        batch: list[int] = []
        for i in sorted(order[start : start + chunk], key=lambda i: lengths[i]):
            if batch and lengths[i] * (len(batch) + 1) > max_tokens:  # sorted: i is the longest
                batches.append(batch)
                batch = []
            batch.append(i)
        if batch:
            batches.append(batch)
    rng.shuffle(batches)
    return batches


def split_micro(batch: list[int], micro_batch_size: int | None) -> list[list[int]]:
    """Split one effective batch into micro-batches for gradient accumulation."""
    if not micro_batch_size or micro_batch_size >= len(batch):
        return [batch]
    return [batch[k : k + micro_batch_size] for k in range(0, len(batch), micro_batch_size)]


def collate(
    sources: Sequence[Sequence[int]],
    targets: Sequence[Sequence[int]] | None,
    indices: Sequence[int],
    pad_id: int,
) -> dict[str, Any]:
    """Pad the selected examples into tensors.

    Returns:
        ``input_ids`` (B, S) and ``attention_mask`` (B, S); with targets also ``labels``
        (B, T) where padding is ``IGNORE_INDEX``.
    """
    import torch

    src_len = max(len(sources[i]) for i in indices)
    input_ids = torch.full((len(indices), src_len), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(indices), src_len), dtype=torch.long)
    for row, i in enumerate(indices):
        input_ids[row, : len(sources[i])] = torch.tensor(sources[i], dtype=torch.long)
        attention_mask[row, : len(sources[i])] = 1
    batch: dict[str, Any] = {"input_ids": input_ids, "attention_mask": attention_mask}
    if targets is not None:
        tgt_len = max(len(targets[i]) for i in indices)
        labels = torch.full((len(indices), tgt_len), IGNORE_INDEX, dtype=torch.long)
        for row, i in enumerate(indices):
            labels[row, : len(targets[i])] = torch.tensor(targets[i], dtype=torch.long)
        batch["labels"] = labels
    return batch
