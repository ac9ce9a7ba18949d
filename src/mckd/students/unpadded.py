"""BART training forward on real tokens only: no padding in any token-wise layer.

A padded batch spends most of its time in token-wise layers (embeddings, projections,
feed-forward, layer norms, dropout, the vocabulary head and the loss) that compute nothing
useful on padding: a random batch of CRAFT pairs is about 36% padding. Here every token-wise
layer runs on the batch's real tokens laid end to end ((N, d) matrices); only attention sees
the batch as padded blocks of similar-length examples (``student.length_groups`` blocks), with
the padded keys masked. The result is the padded model's (same weights, same function, same
loss up to float rounding: tested against ``model(...)``), so a random batch costs nearly what
a length-sorted one does, without length-homogeneous batches (which cost quality: see
``mckd.students.batching``). The loss goes through ``losses.linear_cross_entropy``: the
(tokens x vocabulary) logits are never held in full.

Used for ``BartForConditionalGeneration`` students (from scratch or pretrained) without layer
drop or ``torch.compile``, in one process or wrapped by DDP (``FlatLoss``); every other model
trains through its own ``forward``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mckd.students.batching import padding_groups


def supports(model: Any) -> bool:
    """Whether ``model`` is a BART this forward reproduces exactly."""
    if type(model).__name__ != "BartForConditionalGeneration":
        return False
    cfg = model.config
    return not (getattr(cfg, "encoder_layerdrop", 0.0) or getattr(cfg, "decoder_layerdrop", 0.0))


@dataclass
class Layout:
    """Where a batch's real tokens sit in padded attention blocks.

    The examples are split into groups of similar length (``length_groups``); each group is
    one padded (examples, longest) block, and the blocks share one buffer.

    ``slots``: (N,) buffer row of each real token (examples in order); ``positions``: (N,)
    position of each token in its example; ``blocks``: per group (first row, examples,
    longest); ``masks``: per group (examples, longest), True on real tokens.
    """

    slots: Any
    positions: Any
    blocks: list[tuple[int, int, int]]
    masks: list[Any]
    rows: int

    @classmethod
    def of(cls, lengths: Sequence[int], groups: Sequence[Sequence[int]], device: Any) -> Layout:
        """``lengths``: per example; ``groups``: example indices per block (a partition)."""
        import torch

        start = [0] * len(lengths)  # buffer row of each example's first token
        blocks, masks, row = [], [], 0
        for group in groups:
            longest = max(lengths[e] for e in group)
            for r, e in enumerate(group):
                start[e] = row + r * longest
            blocks.append((row, len(group), longest))
            sizes = torch.tensor([lengths[e] for e in group], device=device)
            masks.append(torch.arange(longest, device=device)[None, :] < sizes[:, None])
            row += len(group) * longest
        sizes, total = torch.tensor(lengths, device=device), sum(lengths)  # total: no GPU sync
        first = torch.repeat_interleave(torch.cumsum(sizes, 0) - sizes, sizes, output_size=total)
        positions = torch.arange(total, device=device) - first  # (N,)
        slots = torch.repeat_interleave(torch.tensor(start, device=device), sizes,
                                        output_size=total) + positions
        return cls(slots, positions, blocks, masks, row)

    def pad(self, flat: Any) -> list[Any]:
        """(N, w) real-token rows -> per group (examples, longest, w), zeros on padding."""
        buffer = flat.new_zeros(self.rows, flat.size(-1)).index_copy(0, self.slots, flat)
        return [buffer[row : row + n * longest].view(n, longest, -1) for row, n, longest in self.blocks]

    def unpad(self, padded: Sequence[Any]) -> Any:
        """Per group (examples, longest, w) -> (N, w) real-token rows."""
        buffer = _cat([block.reshape(-1, block.size(-1)) for block in padded])
        return buffer.index_select(0, self.slots)


def _cat(parts: list[Any]) -> Any:
    """``torch.cat``, without a copy for one part."""
    import torch

    return parts[0] if len(parts) == 1 else torch.cat(parts)


def _attend(attn: Any, hidden: Any, queries: Layout, memory: Any | None, keys: Layout,
            causal: bool) -> Any:
    """One ``BartAttention`` over flat tokens: self-attention (``memory`` None) or cross.

    ``queries`` and ``keys`` group the examples the same way (block by block).
    """
    import torch
    import torch.nn.functional as F

    d = hidden.size(-1)
    heads = attn.num_heads
    if memory is None:  # one matmul for q, k and v
        weight = torch.cat([attn.q_proj.weight, attn.k_proj.weight, attn.v_proj.weight])
        bias = torch.cat([attn.q_proj.bias, attn.k_proj.bias, attn.v_proj.bias])
        qkv = [block.split(d, dim=-1) for block in queries.pad(F.linear(hidden, weight, bias))]
    else:
        weight = torch.cat([attn.k_proj.weight, attn.v_proj.weight])
        bias = torch.cat([attn.k_proj.bias, attn.v_proj.bias])
        kv = keys.pad(F.linear(memory, weight, bias))
        qkv = [(q, *block.split(d, dim=-1)) for q, block in zip(queries.pad(attn.q_proj(hidden)), kv,
                                                              strict=True)]

    def heads_first(x: Any) -> Any:  # (B, L, d) -> (B, H, L, d/H)
        return x.unflatten(-1, (heads, -1)).transpose(1, 2)

    out = [
        F.scaled_dot_product_attention(
            heads_first(q), heads_first(k), heads_first(v),
            attn_mask=None if causal else mask[:, None, None, :],
            dropout_p=attn.dropout if attn.training else 0.0,
            is_causal=causal, scale=attn.scaling,
        ).transpose(1, 2).flatten(2)  # (B, Lq, d); causal: right padding follows real tokens
        for (q, k, v), mask in zip(qkv, keys.masks, strict=True)
    ]
    return attn.out_proj(queries.unpad(out))


def _feed_forward(layer: Any, hidden: Any) -> Any:
    import torch.nn.functional as F

    residual = hidden
    hidden = layer.activation_fn(layer.fc1(hidden))
    hidden = F.dropout(hidden, p=layer.activation_dropout, training=layer.training)
    hidden = F.dropout(layer.fc2(hidden), p=layer.dropout, training=layer.training)
    return layer.final_layer_norm(residual + hidden)


def _embed(stack: Any, ids: Any, layout: Layout) -> Any:
    import torch.nn.functional as F

    positions = stack.embed_positions
    hidden = stack.embed_tokens(ids) + F.embedding(layout.positions + positions.offset, positions.weight)
    hidden = stack.layernorm_embedding(hidden)
    return F.dropout(hidden, p=stack.dropout, training=stack.training)


def token_states(model: Any, sources: Sequence[Sequence[int]],
                 targets: Sequence[Sequence[int]], groups: int = 1) -> Any:
    """Teacher-forced final decoder states of every real target token, flat.

    Args:
        model: a ``BartForConditionalGeneration`` (``supports(model)``).
        sources: per example, encoder token ids.
        targets: per example, label token ids (the decoder reads ``decoder_start`` + labels[:-1]).
        groups: attention runs as this many padded blocks of similar-length examples (at most).

    Returns:
        (sum of target lengths, d_model) states, examples in order; through ``head(model)``
        they give what ``model(input_ids, attention_mask, decoder_input_ids).logits`` gives at
        the real target positions.
    """
    import torch
    import torch.nn.functional as F

    device = model.final_logits_bias.device
    start = model.config.decoder_start_token_id
    source_ids = torch.tensor([t for s in sources for t in s], device=device)
    decoder_ids = torch.tensor([t for s in targets for t in (start, *s[:-1])], device=device)
    source_lengths, target_lengths = [len(s) for s in sources], [len(t) for t in targets]
    examples, zeros = range(len(sources)), [0] * len(sources)
    by_source = padding_groups(examples, source_lengths, zeros, groups)
    by_target = padding_groups(examples, zeros, target_lengths, groups)
    enc_layout = Layout.of(source_lengths, by_source, device)
    dec_layout = Layout.of(target_lengths, by_target, device)
    cross_layout = Layout.of(source_lengths, by_target, device)  # keys of the decoder's blocks

    encoder, decoder = model.model.encoder, model.model.decoder
    hidden = _embed(encoder, source_ids, enc_layout)
    for layer in encoder.layers:
        attended = _attend(layer.self_attn, hidden, enc_layout, None, enc_layout, causal=False)
        attended = F.dropout(attended, p=layer.dropout, training=layer.training)
        hidden = _feed_forward(layer, layer.self_attn_layer_norm(hidden + attended))
    memory = hidden

    hidden = _embed(decoder, decoder_ids, dec_layout)
    for layer in decoder.layers:
        attended = _attend(layer.self_attn, hidden, dec_layout, None, dec_layout, causal=True)
        attended = F.dropout(attended, p=layer.dropout, training=layer.training)
        hidden = layer.self_attn_layer_norm(hidden + attended)
        attended = _attend(layer.encoder_attn, hidden, dec_layout, memory, cross_layout, causal=False)
        attended = F.dropout(attended, p=layer.dropout, training=layer.training)
        hidden = _feed_forward(layer, layer.encoder_attn_layer_norm(hidden + attended))
    return hidden


def head(model: Any) -> tuple[Any, Any]:
    """(weight, bias or None) of the vocabulary projection."""
    bias = model.final_logits_bias.view(-1)  # a buffer, zeros unless a checkpoint set it
    return model.lm_head.weight, bias if bool(bias.any()) else None


def _flat_loss_class() -> Any:
    import torch

    from mckd.students.losses import linear_cross_entropy

    class FlatLoss(torch.nn.Module):
        """``model``'s summed token loss on (sources, targets) through ``token_states``.

        A module, so that DDP (``accelerate launch``) can wrap it like the model itself.
        """

        def __init__(self, model: Any, groups: int = 1) -> None:
            super().__init__()
            self.model, self.groups = model, groups
            # a buffer that training never changes: decided once, not checked every step
            self.with_bias = head(model)[1] is not None

        def forward(self, sources: Sequence[Sequence[int]], targets: Sequence[Sequence[int]]) -> Any:
            states = token_states(self.model, sources, targets, self.groups)  # (N, d)
            labels = torch.tensor([t for s in targets for t in s], device=states.device)
            bias = self.model.final_logits_bias.view(-1) if self.with_bias else None
            # no (N, V) logits kept
            return linear_cross_entropy(states, self.model.lm_head.weight, bias, labels)

    return FlatLoss


def FlatLoss(model: Any, groups: int = 1) -> Any:
    """A ``torch.nn.Module`` whose forward(sources, targets) is ``model``'s summed token loss."""
    global _FLAT_LOSS
    if _FLAT_LOSS is None:
        _FLAT_LOSS = _flat_loss_class()
    return _FLAT_LOSS(model, groups)


_FLAT_LOSS: Any = None
