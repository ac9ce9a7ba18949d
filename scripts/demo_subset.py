"""Shared by make_snips_demo.py and make_top_demo.py: a demo dataset as prefixes of a full one.

Not a command: the two scripts import it (Python puts the script's folder on ``sys.path``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mckd.data_prep.dataset_dir import PreparedDataset, write_dataset_dir

SIZES: dict[str, int | None] = {"labeled_50": 50, "labeled_250": 250, "unlabeled": 2000,
                                "dev": 200, "test": 400}


def prefix_subset(full: PreparedDataset, name: str, seed: int,
                  sizes: dict[str, int | None] | None = None, **extra: Any) -> PreparedDataset:
    """The first :data:`SIZES` examples of each file of ``full`` (kept in its seeded order).

    ``sizes`` overrides some of :data:`SIZES`; a size of None keeps the whole file.
    """
    files = {stem: full.files[stem][:k] for stem, k in {**SIZES, **(sizes or {})}.items()}
    info = {
        **{k: v for k, v in full.info.items() if k not in ("counts", "dropped", "overlap")},
        "name": f"{name}_demo",
        "protocol": (f"demo subset of the {full.info['name']} protocol (dataset "
                     f"'{full.info['name']}', seed {seed}): each file is a prefix of the "
                     "protocol's file in its seeded random order"),
        "counts": {stem: len(part) for stem, part in files.items()},
        "derived_from": {"name": full.info["name"], "seed": seed,
                         "counts": full.info["counts"], "protocol": full.info["protocol"]},
        **extra,
    }
    return PreparedDataset(files=files, info=info)


def write_demo(out: Path, dataset: PreparedDataset, texts: dict[str, str]) -> None:
    """Write the dataset and the extra text files (licence, attribution); print a summary."""
    info = write_dataset_dir(out, dataset)
    for file_name, text in texts.items():
        (out / file_name).write_text(text, encoding="utf-8")
    for path in out.iterdir():  # atomic writes create 0600 files; the package needs 0644
        path.chmod(0o644)
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"wrote {out}: {info['counts']}, {size / 1e6:.2f} MB")


def demo_sentences(dataset: PreparedDataset) -> int:
    """Distinct examples in a demo (labeled_50 is inside labeled_250)."""
    return sum(len(part) for stem, part in dataset.files.items() if stem != "labeled_50")
