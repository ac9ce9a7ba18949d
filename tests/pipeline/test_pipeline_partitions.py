"""Partitions: balanced, disjoint, seeded; who trains on what and relabels what."""

from __future__ import annotations

import pytest

from mckd.pipeline.partitions import (
    make_partitions,
    part_names,
    relabeled_part,
    training_parts,
)

IDS = [f"s{i:03d}" for i in range(101)]


@pytest.mark.parametrize("k", [2, 3, 5])
def test_parts_are_balanced_disjoint_and_cover_every_id(k):
    parts = make_partitions(IDS, k, seed=1)
    assert list(parts) == part_names(k)
    sizes = [len(p) for p in parts.values()]
    assert max(sizes) - min(sizes) <= 1
    flat = [i for p in parts.values() for i in p]
    assert sorted(flat) == IDS  # disjoint and complete
    for p in parts.values():
        assert p == sorted(p)  # original order kept inside a part


def test_parts_depend_on_the_seed_only():
    assert make_partitions(IDS, 2, seed=3) == make_partitions(list(IDS), 2, seed=3)
    assert make_partitions(IDS, 2, seed=3) != make_partitions(IDS, 2, seed=4)


def test_two_parts_are_the_papers_cross_labeling():
    names = part_names(2)
    assert training_parts("A", names) == ["A"] and relabeled_part("A", names) == "B"
    assert training_parts("B", names) == ["B"] and relabeled_part("B", names) == "A"


def test_k_parts_each_student_relabels_the_one_part_it_never_saw():
    names = part_names(4)
    relabeled = [relabeled_part(p, names) for p in names]
    assert sorted(relabeled) == names  # every part is relabeled exactly once
    for p in names:
        assert relabeled_part(p, names) not in training_parts(p, names)
        assert len(training_parts(p, names)) == 3


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="unique"):
        make_partitions(["a", "a", "b"], 2, seed=0)
    with pytest.raises(ValueError, match="between 2 and 26"):
        part_names(1)


@pytest.mark.parametrize("k", [2, 3])
def test_self_relabeling_keeps_the_training_parts_and_relabels_the_own_part(k):
    names = part_names(k)
    for p in names:
        assert relabeled_part(p, names, "self") == p
        assert p in training_parts(p, names)  # the ablation relabels what it trained on
    with pytest.raises(ValueError, match="'other' or 'self'"):
        relabeled_part("A", names, "mine")
