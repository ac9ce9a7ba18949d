"""The constituency error model: its shortcuts agree with the task's checker and metric, random
errors aim at the plan without bias, and answers keep the input's words unless damaged."""

from __future__ import annotations

import random
import statistics

import pytest
from nltk import Tree
from simulated_support import TASK, load_examples

from mckd.config.teacher import SimulatedTeacherConfig
from mckd.tasks.constituency.linearize import from_paper, to_paper
from mckd.tasks.constituency.metrics import PUNCT_TAGS, span_set_f1
from mckd.teachers.simulation.base import Plan
from mckd.teachers.simulation.constituency.model import ConstituencyErrorModel
from mckd.teachers.simulation.constituency.random_errors import corrupt_to
from mckd.teachers.simulation.constituency.tree import from_nltk, spans, to_nltk


@pytest.fixture(scope="module")
def examples():
    return load_examples()


def test_tree_round_trip_keeps_the_paper_form(examples):
    for ex in examples:
        gold = Tree.fromstring(ex.gold)
        root, sent = from_nltk(gold, PUNCT_TAGS)
        assert to_paper(to_nltk(root, sent)) == to_paper(gold)
        assert list(sent.words) == ex.source.split()


@pytest.mark.slow
def test_internal_f1_is_the_paper_metric(examples):
    """The span F1 used while corrupting equals the task's sentence F1 of the rendered tree."""
    rng = random.Random(0)
    for ex in examples[:80]:
        root, sent = from_nltk(Tree.fromstring(ex.gold), PUNCT_TAGS)
        gold = spans(root, sent)
        bad, score, _ = corrupt_to(root, sent, gold, rng.random(), rng, rng.random())
        checked = TASK.check(ex.source, to_paper(to_nltk(bad, sent)))
        assert TASK.example_score(ex, checked) == pytest.approx(score)
        assert score == pytest.approx(span_set_f1(gold, spans(bad, sent)))


@pytest.mark.slow
def test_undamaged_answers_carry_the_checkers_verdict(examples):
    """Calibration skips the checker for undamaged answers; the hints must be exact."""
    model = ConstituencyErrorModel(SimulatedTeacherConfig(loose_format_rate=0.6))
    rng = random.Random(1)
    hinted = 0
    for ex in examples:
        plan = Plan(rng.uniform(0.2, 1.0), rng.random(), ("pp_high", "flatten_modifiers"), True)
        out = model.simulate(model.prepare(ex), plan, random.Random(rng.random()),
                             random.Random(rng.random()))
        checked = TASK.check(ex.source, out.text)
        if out.score_hint is None:
            continue
        hinted += 1
        assert checked.status == out.status_hint, out.text
        assert TASK.example_score(ex, checked) == pytest.approx(out.score_hint)
    assert hinted > 0.8 * len(examples)


@pytest.mark.slow
def test_random_errors_hit_the_plan_on_average_and_keep_the_words(examples):
    rng = random.Random(2)
    gaps = []
    for ex in examples:
        root, sent = from_nltk(Tree.fromstring(ex.gold), PUNCT_TAGS)
        if sent.n_scored < 8:  # short sentences have few reachable scores
            continue
        plan = rng.uniform(0.2, 0.9)
        bad, score, kept = corrupt_to(root, sent, spans(root, sent), plan, rng, rng.random())
        gaps.append(score - plan)
        assert from_paper(to_paper(to_nltk(bad, sent))).leaves() == ex.source.split()
        assert sum(kept.values()) > 0
    assert abs(statistics.fmean(gaps)) < 0.02
    assert statistics.pstdev(gaps) < 0.08
