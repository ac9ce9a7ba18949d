"""Balanced, disjoint, seeded k-way partitions of the unlabeled inputs.

Parts are named A, B, C, ... With k parts, the student of part P is trained on every part
except the one after P (cyclically) and relabels that part, which it never saw. With k = 2
that is the paper's cross-partition labeling: A trains on A and relabels B, B trains on B and
relabels A. Under ``mckd.relabel: self`` (the self-partition ablation) the same students, on
the same training parts, relabel their own part P instead, so only the relabeled part differs.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence

from mckd.core.jsonl import write_json
from mckd.pipeline.context import PARTITIONS, RunContext, Step, StepOutput

PART_NAMES = string.ascii_uppercase


def part_names(k: int) -> list[str]:
    """The first ``k`` part names (k <= 26)."""
    if not 2 <= k <= len(PART_NAMES):
        raise ValueError(f"partitions must be between 2 and {len(PART_NAMES)}, got {k}")
    return list(PART_NAMES[:k])


def make_partitions(ids: Sequence[str], k: int, seed: int) -> dict[str, list[str]]:
    """Split ``ids`` into ``k`` disjoint parts whose sizes differ by at most one.

    The ids are shuffled with ``seed`` and dealt round-robin; each part keeps the ids in their
    original order.

    Returns:
        part name -> ids.
    """
    if len(set(ids)) != len(ids):
        raise ValueError("ids must be unique to be partitioned")
    names = part_names(k)
    order = {id_: i for i, id_ in enumerate(ids)}
    shuffled = list(ids)
    random.Random(seed).shuffle(shuffled)
    return {name: sorted(shuffled[i::k], key=order.__getitem__) for i, name in enumerate(names)}


def held_out_part(part: str, names: Sequence[str]) -> str:
    """The part the student of ``part`` never sees: the next one, cyclically."""
    i = list(names).index(part)
    return names[(i + 1) % len(names)]


def relabeled_part(part: str, names: Sequence[str], mode: str = "other") -> str:
    """The part the student of ``part`` relabels: the one it never saw (``mode`` "other", the
    method) or its own (``mode`` "self", the ablation)."""
    if mode not in ("other", "self"):
        raise ValueError(f"relabel mode must be 'other' or 'self', got {mode!r}")
    return part if mode == "self" else held_out_part(part, names)


def training_parts(part: str, names: Sequence[str]) -> list[str]:
    """The parts the student of ``part`` is trained on: all but the one it never sees."""
    held_out = held_out_part(part, names)
    return [name for name in names if name != held_out]


def split_into_parts(ctx: RunContext, step: Step, fp: str) -> StepOutput:
    """Write ``partitions.json``: the k parts of the unlabeled ids and who relabels whom."""
    parts = make_partitions([ex.id for ex in ctx.data.unlabeled], ctx.config.mckd.partitions,
                            step.seed)
    names = list(parts)
    mode = ctx.config.mckd.relabel
    plan = {p: {"trains_on": training_parts(p, names), "relabels": relabeled_part(p, names, mode)}
            for p in names}
    write_json(ctx.path(PARTITIONS), {"k": len(names), "seed": step.seed, "parts": parts,
                                      "students": plan})
    return StepOutput([PARTITIONS], counts={name: len(ids) for name, ids in parts.items()})
