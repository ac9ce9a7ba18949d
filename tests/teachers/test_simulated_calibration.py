"""Calibration: the simulated teacher's mean score, as the pipeline measures it, hits the target
on sentences the reference never saw, with a realistic spread, worse on longer inputs."""

from __future__ import annotations

import statistics

import pytest
from simulated_support import TASK, load_examples

from mckd.config.teacher import SimulatedTeacherConfig
from mckd.teachers.simulated import SimulatedTeacher


@pytest.fixture(scope="module")
def examples():
    return load_examples()


def measured(teacher, examples) -> list[float]:
    """Per-example scores the way the pipeline computes them (invalid = 0)."""
    by_id = {ex.id: ex for ex in examples}
    return [100 * TASK.example_score(by_id[c.id], TASK.check(by_id[c.id].source, c.text))
            for c in teacher.complete(examples)]


@pytest.mark.parametrize(("target", "share"), [(60.0, 0.3), (45.0, 0.7), (75.0, 0.0)])
def test_mean_score_hits_the_target_on_unseen_sentences(examples, target, share):
    config = SimulatedTeacherConfig(target_f1=target, systematic_share=share,
                                    calibration_size=400)
    teacher = SimulatedTeacher(TASK, config, seed=11)
    assert abs(teacher.calibration.expected - target) < 0.3
    scores = measured(teacher, examples)
    # 200 sentences: the sampling error of the mean is about 1.2 points
    assert abs(statistics.fmean(scores) - target) < 3.0


def test_spread_is_realistic_and_long_sentences_fare_worse(examples):
    teacher = SimulatedTeacher(TASK, SimulatedTeacherConfig(calibration_size=400), seed=11)
    scores = measured(teacher, examples)
    ranked = sorted(scores)
    good, bad = statistics.fmean(ranked[100:]), statistics.fmean(ranked[:100])
    assert 18 < good - bad < 40  # the paper's PTB teacher: 81.9 vs 56.7
    by_length = sorted(zip((len(ex.source.split()) for ex in examples), scores))
    assert statistics.fmean(s for _, s in by_length[-60:]) < statistics.fmean(
        s for _, s in by_length[:60])


def test_calibration_ignores_the_examples_being_labelled(examples):
    config = SimulatedTeacherConfig(calibration_size=400)
    teacher = SimulatedTeacher(TASK, config, seed=11)
    before = teacher.describe()
    list(teacher.complete(examples[:50]))
    fresh = SimulatedTeacher(TASK, config, seed=11)
    list(fresh.complete(examples[150:]))
    assert teacher.describe() == fresh.describe() == before
