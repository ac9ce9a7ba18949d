"""The examples a run reads: its dataset splits, subsampled as the config says (seeded)."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mckd.config.schema import RunConfig
from mckd.core.errors import DataError
from mckd.core.hashing import file_fingerprint, fingerprint, stable_seed
from mckd.core.records import Example
from mckd.students.runtime import in_worker_process
from mckd.tasks.base import Task

log = logging.getLogger(__name__)


@dataclass
class RunData:
    """Examples by role (``labeled``, ``unlabeled``, ``test`` and optionally ``dev``).

    Attributes:
        splits: role -> examples, in file order (after subsampling).
        files: role -> the JSONL file read.
        fingerprints: role -> {"file": sha256 of the file, "ids": fingerprint of the ids kept}.
    """

    splits: dict[str, list[Example]]
    files: dict[str, Path]
    fingerprints: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def unlabeled(self) -> list[Example]:
        return self.splits["unlabeled"]

    @property
    def test(self) -> list[Example]:
        return self.splits["test"]

    @property
    def dev(self) -> list[Example] | None:
        return self.splits.get("dev")

    def by_id(self) -> dict[str, Example]:
        """Unlabeled and test examples by id (ids are unique across the two)."""
        return {ex.id: ex for ex in self.unlabeled + self.test}


def subsample(examples: list[Example], limit: int | None, seed: int) -> list[Example]:
    """At most ``limit`` examples drawn with ``seed``, kept in their original order."""
    if limit is None or len(examples) <= limit:
        return examples
    keep = sorted(random.Random(seed).sample(range(len(examples)), limit))
    return [examples[i] for i in keep]


def load_run_data(config: RunConfig, task: Task) -> RunData:
    """Read every split the run uses, subsample, and check ids and gold.

    Raises:
        DataError: a split is empty, shares ids with another, or the test split lacks gold.
    """
    data = config.data
    limits = {"unlabeled": data.max_unlabeled, "test": data.max_test}
    splits: dict[str, list[Example]] = {}
    files: dict[str, Path] = {}
    prints: dict[str, dict[str, Any]] = {}
    for role, split in data.roles().items():
        path = data.split_file(split)
        examples = task.load(str(path))
        if not examples:
            raise DataError(f"split {split!r} ({role}) has no examples", path=str(path))
        examples = subsample(examples, limits.get(role), stable_seed(config.seed, "subsample", role))
        splits[role], files[role] = examples, path
        prints[role] = {"file": file_fingerprint(path), "n": len(examples),
                        "ids": fingerprint([ex.id for ex in examples])}
        # a student step's worker process reads the data again: the parent said it once
        log.log(logging.DEBUG if in_worker_process() else logging.INFO,
                "%s: %d examples from %s", role, len(examples), path)
    _check_disjoint(splits, files)
    missing = [ex.id for ex in splits["test"] if ex.gold is None]
    if missing:
        raise DataError(f"{len(missing)} test examples have no gold (first: {missing[0]!r}); "
                        "the test split must be labelled", path=str(files["test"]))
    return RunData(splits=splits, files=files, fingerprints=prints)


def _check_disjoint(splits: dict[str, list[Example]], files: dict[str, Path]) -> None:
    unlabeled = {ex.id for ex in splits["unlabeled"]}
    for role in ("test", "dev"):
        if role not in splits:
            continue
        shared = unlabeled & {ex.id for ex in splits[role]}
        if shared:
            raise DataError(
                f"{len(shared)} ids are in both the unlabeled and the {role} split "
                f"(e.g. {min(shared)!r}); the splits must not overlap",
                path=str(files[role]),
            )
