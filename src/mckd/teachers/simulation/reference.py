"""Reference samples of the simulated teacher that are files of a shipped demo dataset.

Slot filling and TOP calibrate against the ``unlabeled.jsonl`` of their demo dataset
(``mckd/data/<name>/``): its first ``REFERENCE_SIZE`` (2,000) utterances, drawn with a fixed
seed from SNIPS's train file or TOP's eval file, each with its gold, part of the installation.
The shipped pools grew later by appending, so the reference stayed the same 2,000. Calibration
depends only on them, never on the examples being labelled.
"""

from __future__ import annotations

import functools
import itertools
from pathlib import Path

from mckd.core.errors import DataError
from mckd.core.jsonl import read_jsonl
from mckd.core.records import Example

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
#: utterances of the demo file the reference is made of (its first lines)
REFERENCE_SIZE = 2000


@functools.cache
def demo_reference(dataset: str, split: str = "unlabeled") -> tuple[Example, ...]:
    """The first ``REFERENCE_SIZE`` examples of ``mckd/data/<dataset>/<split>.jsonl`` (every one
    must have gold).

    Raises:
        DataError: the file is missing from the installation, or an example has no gold.
    """
    path = DATA_DIR / dataset / f"{split}.jsonl"
    if not path.is_file():
        raise DataError("the simulated teacher's reference sample is missing from the "
                        "installation; reinstall mckd", path=str(path))
    examples = tuple(Example.from_dict(row) for row in itertools.islice(read_jsonl(path), REFERENCE_SIZE))
    missing = [ex.id for ex in examples if ex.gold is None]
    if missing:
        raise DataError(f"reference example {missing[0]!r} has no gold; reinstall mckd",
                        path=str(path))
    return examples
