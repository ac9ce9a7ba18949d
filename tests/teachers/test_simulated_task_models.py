"""The slot-filling and TOP error models of the simulated teacher, on the shipped demo data:
calibration hits the target, answers are deterministic per example id, every error kind occurs,
and the models' shortcuts agree with the tasks' checkers and metrics."""

from __future__ import annotations

import random
import statistics
from collections import Counter

import pytest
from simulated_support import demo_task_and_examples

from mckd.config.teacher import SimulatedTeacherConfig
from mckd.core.errors import DataError
from mckd.core.records import Example, Status
from mckd.teachers.simulated import SimulatedTeacher
from mckd.teachers.simulation import ERROR_MODELS
from mckd.teachers.simulation.base import Plan
from mckd.teachers.simulation.slots import surface as slots_surface
from mckd.teachers.simulation.slots.random_errors import WEIGHTS as SLOTS_KINDS
from mckd.teachers.simulation.top import surface as top_surface
from mckd.teachers.simulation.top.random_errors import WEIGHTS as TOP_KINDS

TASKS = ("slots", "top")
SURFACE = {"slots": slots_surface, "top": top_surface}
RANDOM_KINDS = {"slots": set(SLOTS_KINDS), "top": set(TOP_KINDS)}
FAST = {"calibration_size": 400}  # where the calibration's precision does not matter
NO_DAMAGE = {"word_error_rate": 0.0, "malformed_rate": 0.0, "truncated_rate": 0.0,
             "loose_format_rate": 0.0}


@pytest.fixture(scope="module", params=TASKS)
def demo(request):
    """(task name, task, test examples, unlabeled examples) of the task's shipped demo."""
    task, test = demo_task_and_examples(request.param, "test")
    _, unlabeled = demo_task_and_examples(request.param, "unlabeled")
    return request.param, task, test, unlabeled


def scores_of(task, examples, completions) -> list[float]:
    """Per-example scores the way the pipeline computes them (invalid = 0)."""
    return [100 * task.example_score(ex, task.check(ex.source, c.text))
            for ex, c in zip(examples, completions)]


@pytest.mark.parametrize(("target", "share"), [(60.0, 0.3), (45.0, 0.7), (75.0, 0.0)])
def test_mean_score_hits_the_target_on_the_demo_test_split(demo, target, share):
    _, task, test, _ = demo
    config = SimulatedTeacherConfig(target_f1=target, systematic_share=share)
    teacher = SimulatedTeacher(task, config, seed=11)
    assert abs(teacher.calibration.expected - target) < 0.3
    scores = scores_of(task, test, teacher.complete(test))
    # 400 utterances the reference never saw: the sampling error of the mean is ~1.5 points
    assert abs(statistics.fmean(scores) - target) < 3.0
    ranked = sorted(scores)
    half = len(ranked) // 2
    assert statistics.fmean(ranked[half:]) - statistics.fmean(ranked[:half]) > 15


def test_systematic_share_sets_the_share_of_the_loss_from_rules(demo):
    _, task, _, _ = demo
    cals = [SimulatedTeacher(task, SimulatedTeacherConfig(systematic_share=s, **FAST), seed=2
                             ).calibration for s in (0.0, 0.3, 0.7)]
    assert cals[0].rules == () and cals[0].systematic_loss_share == 0.0
    assert cals[1].rules and cals[2].rules
    assert abs(cals[1].systematic_loss_share - 0.3) < 0.15
    assert abs(cals[2].systematic_loss_share - 0.7) < 0.15
    assert all(abs(c.expected - 60.0) < 0.3 for c in cals)


def test_output_depends_only_on_seed_and_example_id(demo):
    _, task, test, _ = demo
    teacher = SimulatedTeacher(task, SimulatedTeacherConfig(**FAST), seed=3)
    batch = test[:40]
    together = {c.id: c for c in teacher.complete(batch)}
    shuffled = list(batch)
    random.Random(1).shuffle(shuffled)
    reordered = {c.id: c for c in teacher.complete(shuffled + test[100:120])}
    for ex in batch[:10]:
        assert next(iter(teacher.complete([ex]))) == together[ex.id] == reordered[ex.id]
    assert all(reordered[i] == c for i, c in together.items())
    again = SimulatedTeacher(task, SimulatedTeacherConfig(**FAST), seed=3)
    assert list(again.complete(batch)) == list(teacher.complete(batch))
    other = SimulatedTeacher(task, SimulatedTeacherConfig(**FAST), seed=4)
    differ = [a.text != b.text for a, b in zip(other.complete(batch), teacher.complete(batch))]
    assert sum(differ) >= 20


def test_every_error_kind_occurs(demo):
    name, task, _, unlabeled = demo
    config = SimulatedTeacherConfig(word_error_rate=0.4, malformed_rate=0.3, truncated_rate=0.1,
                                    loose_format_rate=0.6, systematic_share=0.3, **FAST)
    out = list(SimulatedTeacher(task, config, seed=5).complete(unlabeled))
    seen: Counter[str] = Counter()
    for c in out:
        seen.update(c.meta["random_errors"])
        seen.update(f"word:{c.meta['word_error']}" for _ in [0] if c.meta["word_error"])
        seen.update(f"malformed:{c.meta['malformed']}" for _ in [0] if c.meta["malformed"])
        seen.update(f"layout:{c.meta['layout']}" for _ in [0] if c.meta["layout"])
        seen["truncated"] += c.meta["truncated"]
        seen.update(c.meta["systematic_rules_fired"])
    surface = SURFACE[name]
    expected = (RANDOM_KINDS[name] | {f"word:{k}" for k in surface.WORD_ERRORS}
                | {f"malformed:{k}" for k in surface.MALFORMATIONS}
                | {f"layout:{k}" for k in surface.LAYOUTS} | {"truncated"})
    assert expected <= set(seen), expected - set(seen)
    assert all(c.finish_reason == ("length" if c.meta["truncated"] else "stop") for c in out)
    statuses = Counter(task.check(ex.source, c.text).status for ex, c in zip(unlabeled, out))
    assert statuses[Status.REPAIRED] > 0.1 * len(out) and statuses[Status.INVALID] > 0


def test_every_systematic_rule_fires_on_the_reference(demo):
    name, _, _, unlabeled = demo
    model = ERROR_MODELS.get(name)(SimulatedTeacherConfig())
    prepared = [model.prepare(ex) for ex in unlabeled]
    for rule in model.rule_names:
        loss = statistics.fmean(1 - model.systematic_score(p, (rule,)) for p in prepared)
        assert loss > 0.0, rule


def test_undamaged_answers_carry_the_checkers_verdict_and_keep_the_words(demo):
    """Calibration skips the checker for undamaged answers; the hints must be exact."""
    name, task, _, unlabeled = demo
    model = ERROR_MODELS.get(name)(SimulatedTeacherConfig(loose_format_rate=0.6))
    rules = tuple(model.rule_names[::3])
    rng = random.Random(1)
    hinted = 0
    for ex in unlabeled[:600]:
        plan = Plan(rng.uniform(0.2, 1.0), rng.random(), rules, True)
        out = model.simulate(model.prepare(ex), plan, random.Random(rng.random()),
                             random.Random(rng.random()))
        checked = task.check(ex.source, out.text)
        if out.score_hint is None:
            continue
        hinted += 1
        assert checked.status == out.status_hint, out.text
        assert task.example_score(ex, checked) == pytest.approx(out.score_hint), out.text
        words = checked.target.split()[0::2] if name == "slots" else \
            [t for t in checked.target.replace("]", " ").split() if not t.startswith("[")]
        assert words == ex.source.split()
    assert hinted > 0.8 * 600


def test_random_errors_aim_at_the_plan_without_bias(demo):
    name, _, _, unlabeled = demo
    model = ERROR_MODELS.get(name)(SimulatedTeacherConfig(**NO_DAMAGE))
    rng = random.Random(2)
    gaps = []
    for ex in unlabeled:
        prepared = model.prepare(ex)
        if len(prepared.gold) < 4:  # few slots or brackets: few reachable scores
            continue
        plan = Plan(rng.uniform(0.2, 0.95), rng.random(), (), True)
        out = model.simulate(prepared, plan, random.Random(rng.random()), random.Random(0))
        gaps.append(out.score_hint - plan.score)
    assert len(gaps) > 300
    assert abs(statistics.fmean(gaps)) < 0.03
    assert statistics.pstdev(gaps) < 0.15


@pytest.mark.parametrize(("name", "gold", "message"), [
    ("slots", "O B-artist", "one BIO tag .* got 2 tags for 3 words"),
    ("slots", "O X-artist O", "one BIO tag"),
    ("slots", None, "has no gold tags"),
    ("top", "[IN:A play [SL:B queen ] now", "not a TOP tree"),
    ("top", "[IN:A play [SL:B queen ] ]", "2 words but the source has 3"),
    ("top", None, "has no gold tree"),
])
def test_unusable_gold_is_a_data_error_naming_the_example(name, gold, message):
    model = ERROR_MODELS.get(name)(SimulatedTeacherConfig())
    with pytest.raises(DataError, match=message) as info:
        model.prepare(Example(id="ex-7", source="play queen now", gold=gold))
    assert "'ex-7'" in str(info.value)


def test_describe_says_it_is_a_simulation(demo):
    _, task, _, _ = demo
    facts = SimulatedTeacher(task, SimulatedTeacherConfig(**FAST), seed=0).describe()
    assert facts["simulation"] is True and "simulated teacher" in facts["note"]
    assert facts["task"] == task.name and facts["calibration"]["n"] == 400
