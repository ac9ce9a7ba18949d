"""The tagger student's model: per-word head on encoder features, and the trained student.

See ``mckd.students.tagger`` for the architecture and the checkpoint layout.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from mckd.config.student import StudentConfig
from mckd.core.errors import MckdError
from mckd.students.base import Student
from mckd.students.features import FeatureCache, WordEncoder
from mckd.students.scoring import ScoredOutput
from mckd.students.tag_decoding import decode
from mckd.tasks.base import DecodingConstraint

log = logging.getLogger(__name__)


def make_head(layers: int, hidden: int, labels: int, lstm_hidden: int, lstm_layers: int,
              dropout: float) -> Any:
    """The per-word head as a torch module (see the module doc for its shape)."""
    import torch
    from torch import nn

    class TaggerHead(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.mix = nn.Parameter(torch.zeros(layers))   # softmax weights over layers
            self.gamma = nn.Parameter(torch.ones(()))
            self.dropout = nn.Dropout(dropout)
            self.lstm = (nn.LSTM(hidden, lstm_hidden, lstm_layers, batch_first=True,
                                 bidirectional=True, dropout=dropout if lstm_layers > 1 else 0.0)
                         if lstm_hidden else None)
            self.out = nn.Linear(2 * lstm_hidden if lstm_hidden else hidden, labels)

        def forward(self, feats: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
            """feats [B, W, layers, hidden], lengths [B] -> logits [B, W, labels]."""
            x = self.gamma * torch.einsum("bwlh,l->bwh", feats, self.mix.softmax(0))
            x = self.dropout(x)
            if self.lstm is not None:
                packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True,
                                                           enforce_sorted=False)
                x, _ = self.lstm(packed)
                x, _ = nn.utils.rnn.pad_packed_sequence(x, batch_first=True,
                                                        total_length=feats.shape[1])
                x = self.dropout(x)
            return self.out(x)

    return TaggerHead()


class TaggerStudent(Student):
    """A trained tagger: encoder, head and label symbols (see the module doc).

    Args:
        encoder: the word encoder (frozen or fine-tuned).
        head: the head module.
        labels: the label symbols, in the head's output order.
        config: the student configuration.
        cache: the feature cache (frozen mode), or None to encode every call.
    """

    def __init__(self, encoder: WordEncoder, head: Any, labels: Sequence[str],
                 config: StudentConfig, cache: FeatureCache | None):
        self.encoder, self.head, self.labels = encoder, head, list(labels)
        self.config, self.cache = config, cache
        self.frozen = config.tagger.mode == "frozen"
        self.dead_ends = 0
        self._features: dict[str, Any] = {}  # frozen features already read, by source

    # -- features ----------------------------------------------------------------------------
    def frozen_features(self, sources: Sequence[str]) -> list[Any]:
        """Cached (or freshly encoded) float16 features per source (frozen mode)."""
        if self.cache is None:
            raise MckdError("a frozen tagger needs its feature cache")
        missing = list(dict.fromkeys(s for s in sources if s not in self._features))
        if missing:  # read each input once per process (the fidelity sample recurs every epoch)
            got = self.cache.get(self.encoder, missing, self.config.tagger.feature_batch_size)
            self._features.update(zip(missing, got, strict=True))
        return [self._features[s] for s in sources]

    def batch_logits(self, sources: Sequence[str], feats: Sequence[Any] | None) -> Any:
        """Logits ``[B, max words, labels]`` of a batch (``feats``: frozen features or None)."""
        import torch

        lengths = torch.tensor([len(s.split()) for s in sources])
        if feats is not None:  # float16 [words, layers, hidden] each -> padded float32 batch
            x = torch.nn.utils.rnn.pad_sequence([torch.from_numpy(f) for f in feats],
                                                batch_first=True).float()
        else:
            x = self.encoder.features([self.encoder.pieces(s) for s in sources])
        return self.head(x, lengths)

    # -- generation --------------------------------------------------------------------------
    def _decode_all(self, sources: Sequence[str], constraint: DecodingConstraint | None,
                    progress_desc: str | None) -> list[Any]:
        import torch
        from tqdm.auto import tqdm

        from mckd.students.runtime import progress_disabled, set_threads

        set_threads(self.config.threads)
        if not self.config.constrained:
            constraint = None
        sources = list(sources)
        feats = self.frozen_features(sources) if self.frozen else None
        self.head.eval()
        self.encoder.model.eval()
        order = sorted(range(len(sources)), key=lambda i: len(sources[i].split()))
        results: list[Any] = [None] * len(sources)
        size = self.config.gen_batch_size
        with torch.inference_mode():
            for start in tqdm(range(0, len(order), size), desc=progress_desc, leave=False,
                              disable=True if progress_desc is None else progress_disabled()):
                idx = order[start:start + size]
                batch = [sources[i] for i in idx]
                logits = self.batch_logits(batch, [feats[i] for i in idx] if feats else None)
                logprobs = logits.float().log_softmax(-1).numpy()
                for row, i in enumerate(idx):
                    n = len(sources[i].split())
                    results[i] = decode(logprobs[row, :n], self.labels, sources[i], constraint,
                                        self.config.num_beams)
        dead = sum(r.dead_ends for r in results)
        if dead:
            self.dead_ends += dead
            log.warning("%d words had no allowed label among the tagger's %d; the constraint's "
                        "first allowed symbol was written instead", dead, len(self.labels))
        return results

    def generate(self, sources: Sequence[str], *, constraint: DecodingConstraint | None = None,
                 progress_desc: str | None = None) -> list[str]:
        """One output per source (its symbols joined by spaces), in input order."""
        return [" ".join(r.symbols) for r in self._decode_all(sources, constraint, progress_desc)]

    def generate_scored(self, sources: Sequence[str], *,
                        constraint: DecodingConstraint | None = None,
                        progress_desc: str | None = None) -> list[ScoredOutput]:
        """Like ``generate``, each output with the mean log-probability (unconstrained
        distribution) of the symbols chosen, one per word."""
        return [ScoredOutput(" ".join(r.symbols), sum(r.logprobs) / max(1, len(r.logprobs)),
                             len(r.logprobs))
                for r in self._decode_all(sources, constraint, progress_desc)]
