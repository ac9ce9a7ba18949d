"""A local causal language model: its tokenizer at once, its weights on first use, and batched
generation that reports what an API would (text, finish reason, token counts).

The tokenizer alone is enough to build prompts and ledger keys, so a rerun whose answers are
all in the ledger (or ``mckd plan``) never loads the weights. torch and transformers are
imported here, so this module is imported only when the ``transformers`` backend is chosen.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mckd.core.errors import ConfigError
from mckd.core.hashing import file_fingerprint, fingerprint
from mckd.core.pinned import missing_folder

log = logging.getLogger(__name__)

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".msgpack", ".h5")
_SMALL_FILE_BYTES = 64 << 20


@dataclass(frozen=True)
class Generated:
    """One generated answer.

    Attributes:
        text: the new text, special tokens removed, cut before the first stop string.
        finish_reason: "stop" (end-of-sequence token or a stop string) or "length" (it
            reached ``max_new_tokens``).
        prompt_tokens: tokens of the prompt (padding excluded).
        completion_tokens: tokens generated (an end-of-sequence token included, padding not).
    """

    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int


def model_identity(name: str, revision: str | None) -> dict[str, Any]:
    """What names the weights in ledger keys.

    A local folder: its absolute path, the SHA-256 of its small files (config, tokenizer,
    generation config) and the size and modification time of its weight files, so moving the
    folder or overwriting weights in place makes new keys (never stale answers) without hashing
    gigabytes. A Hub name: the name and revision (pin a commit for exact reuse).
    """
    folder = Path(name).expanduser()
    if not folder.is_dir():
        return {"hub": name, "revision": revision}
    files: dict[str, str] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel, stat = path.relative_to(folder).as_posix(), path.stat()
        if path.suffix in _WEIGHT_SUFFIXES or stat.st_size > _SMALL_FILE_BYTES:
            files[rel] = f"{stat.st_size}:{stat.st_mtime_ns}"
        else:
            files[rel] = file_fingerprint(path)
    return {"folder": str(folder.resolve()), "files": fingerprint(files)}


def load_tokenizer(name: str, revision: str | None) -> Any:
    """The model's tokenizer, padding on the left (for batched generation).

    Raises:
        ConfigError: nothing loadable at ``name``, or no pad/end-of-sequence token.
    """
    from transformers import AutoTokenizer

    if missing_folder(name):
        raise ConfigError(f"no folder {name!r} (teacher.transformers.model); check the path")
    local = Path(name).expanduser().is_dir()
    try:
        tokenizer = AutoTokenizer.from_pretrained(name, revision=revision, local_files_only=local)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load the tokenizer of teacher.transformers.model {name!r} "
                          f"({exc}); give a folder holding a causal LM and its tokenizer, or a "
                          "Hugging Face name") from None
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is None:
            raise ConfigError(f"the tokenizer of {name!r} has neither a pad nor an end-of-"
                              "sequence token; batched generation needs one (set pad_token)")
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def context_limit(name: str, revision: str | None) -> int | None:
    """The model's context window from its config (max_position_embeddings), if it says."""
    from transformers import AutoConfig

    local = Path(name).expanduser().is_dir()
    try:
        config = AutoConfig.from_pretrained(name, revision=revision, local_files_only=local)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the config of teacher.transformers.model {name!r} "
                          f"({exc})") from None
    for attr in ("max_position_embeddings", "n_positions", "seq_length"):
        value = getattr(config, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


class LocalLM:
    """A causal LM on one device, loaded on the first :meth:`generate`.

    Args:
        name: local folder or Hugging Face name; revision: Hub revision.
        dtype: "auto", "float32", "bfloat16" or "float16".
        device: "auto" (cuda when available, else cpu) or a torch device string.
    """

    def __init__(self, name: str, *, revision: str | None = None, dtype: str = "auto",
                 device: str = "auto"):
        self.name, self.revision, self.dtype, self.device_name = name, revision, dtype, device
        self.tokenizer = load_tokenizer(name, revision)
        self.model: Any = None

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` without special tokens."""
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _load(self) -> Any:
        import torch
        from transformers import AutoModelForCausalLM

        device = self.device_name
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        local = Path(self.name).expanduser().is_dir()
        try:
            model = AutoModelForCausalLM.from_pretrained(
                self.name, revision=self.revision, dtype=self.dtype, local_files_only=local)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load teacher.transformers.model {self.name!r} ({exc}); "
                              "it must be a causal LM (AutoModelForCausalLM)") from None
        self.model = model.to(device).eval()
        log.info("teacher model %s loaded on %s (%s)", self.name, device, model.dtype)
        return self.model

    def _eos_ids(self) -> set[int]:
        ids = self.model.generation_config.eos_token_id
        ids = set(ids if isinstance(ids, list) else [] if ids is None else [ids])
        if self.tokenizer.eos_token_id is not None:
            ids.add(self.tokenizer.eos_token_id)
        return ids

    def generate(self, prompts: Sequence[str], *, add_special_tokens: bool, max_new_tokens: int,
                 temperature: float = 0.0, top_p: float | None = None, seed: int = 0,
                 stop: Sequence[str] = ()) -> list[Generated]:
        """Generate one answer per prompt, all in one batch.

        Args:
            prompts: full prompt texts (a chat template already applied).
            add_special_tokens: let the tokenizer add its BOS etc. (plain completion text;
                chat templates write their own).
            max_new_tokens: answer length limit.
            temperature: 0 for greedy decoding, else sampling (seeded with ``seed``).
            stop: strings that end an answer (cut off, finish reason "stop").
        """
        import torch

        model = self.model if self.model is not None else self._load()
        enc = self.tokenizer(list(prompts), return_tensors="pt", padding=True,
                             add_special_tokens=add_special_tokens).to(model.device)
        options: dict[str, Any] = {"max_new_tokens": max_new_tokens,
                                   "pad_token_id": self.tokenizer.pad_token_id,
                                   "do_sample": temperature > 0}
        if temperature > 0:
            options.update(temperature=temperature, top_p=top_p or 1.0, top_k=0)
            torch.manual_seed(seed)
        if stop:
            options.update(stop_strings=list(stop), tokenizer=self.tokenizer)
        with torch.inference_mode():
            out = model.generate(input_ids=enc["input_ids"],
                                 attention_mask=enc["attention_mask"], **options)
        new = out[:, enc["input_ids"].shape[1]:].tolist()  # [batch, <= max_new_tokens]
        prompt_lengths = enc["attention_mask"].sum(dim=1).tolist()
        return [self._result(ids, int(n), max_new_tokens, stop)
                for ids, n in zip(new, prompt_lengths, strict=True)]

    def _result(self, ids: list[int], prompt_tokens: int, max_new_tokens: int,
                stop: Sequence[str]) -> Generated:
        eos, pad = self._eos_ids(), self.tokenizer.pad_token_id
        ended = next((i for i, t in enumerate(ids) if t in eos), None)
        if ended is not None:
            used = ended + 1
        else:  # a row stopped by a stop string is padded to the longest row
            used = next((i for i, t in enumerate(ids) if t == pad), len(ids))
        text = self.tokenizer.decode(ids[:used], skip_special_tokens=True)
        cuts = [i for i in (text.find(s) for s in stop) if i >= 0]
        if cuts:
            text, reason = text[:min(cuts)], "stop"
        elif ended is None and used >= max_new_tokens:
            reason = "length"
        else:
            reason = "stop"
        return Generated(text=text, finish_reason=reason, prompt_tokens=prompt_tokens,
                         completion_tokens=used)
