"""The simulated teacher's contract: gold required, one completion per example, determinism
per example id, seeds matter, failure modes at their rates, and it says it is a simulation."""

from __future__ import annotations

import random

import pytest
from simulated_support import TASK, load_examples

from mckd.config.teacher import SimulatedTeacherConfig
from mckd.core.errors import ConfigError, MckdError
from mckd.core.records import Example, Status
from mckd.teachers import TEACHERS
from mckd.teachers.simulated import SimulatedTeacher

FAST = {"calibration_size": 200}


@pytest.fixture(scope="module")
def examples():
    return load_examples()


@pytest.fixture(scope="module")
def teacher():
    return SimulatedTeacher(TASK, SimulatedTeacherConfig(**FAST), seed=3)


def test_registered_under_its_name():
    assert TEACHERS.get("simulated") is SimulatedTeacher


def test_refuses_examples_without_gold_before_producing_anything(teacher, examples):
    batch = [examples[0], Example(id="no-gold-1", source="A dog barked ."), examples[1],
             Example(id="no-gold-2", source="It rained .")]
    seen = []
    with pytest.raises(MckdError) as err:
        teacher.complete(batch, on_result=seen.append)
    message = str(err.value)
    assert "2 of 4" in message and "'no-gold-1'" in message and "'no-gold-2'" in message
    assert "gold" in message
    assert seen == []


def test_one_completion_per_example_in_order_with_callback(teacher, examples):
    seen = []
    out = list(teacher.complete(examples[:30], on_result=seen.append))
    assert [c.id for c in out] == [ex.id for ex in examples[:30]]
    assert seen == out
    for c in out:
        assert c.finish_reason in ("stop", "length")
        assert c.meta["simulation"] is True and c.meta["usage_estimated"] is True
        assert c.usage["prompt_tokens"] > c.usage["completion_tokens"] > 0
        assert 0.0 <= c.meta["severity"] <= 1.0


def test_output_depends_only_on_the_example_not_the_batch(teacher, examples):
    batch = examples[:40]
    together = {c.id: c for c in teacher.complete(batch)}
    shuffled = list(batch)
    random.Random(1).shuffle(shuffled)
    reordered = {c.id: c for c in teacher.complete(shuffled + examples[100:120])}
    for ex in batch[:10]:
        alone = next(iter(teacher.complete([ex])))
        assert alone == together[ex.id] == reordered[ex.id]
    assert all(reordered[i] == c for i, c in together.items())


def test_a_new_teacher_with_the_same_seed_answers_the_same(examples, teacher):
    again = SimulatedTeacher(TASK, SimulatedTeacherConfig(**FAST), seed=3)
    assert list(again.complete(examples[:20])) == list(teacher.complete(examples[:20]))


def test_different_seeds_give_different_answers(examples, teacher):
    other = SimulatedTeacher(TASK, SimulatedTeacherConfig(**FAST), seed=4)
    mine = [c.text for c in teacher.complete(examples[:40])]
    theirs = [c.text for c in other.complete(examples[:40])]
    assert sum(a != b for a, b in zip(mine, theirs)) >= 30


def test_answers_are_paper_form_bracketings_the_checker_reads(teacher, examples):
    out = list(teacher.complete(examples))
    statuses = [TASK.check(ex.source, c.text).status for ex, c in zip(examples, out)]
    assert statuses.count(Status.VALID) > 0.7 * len(out)
    plain = [c.text for c in out if c.meta["layout"] is None and not c.meta["truncated"]
             and not c.meta["malformed"]]
    assert all(t.startswith("( ") and t.endswith(" )") for t in plain)
    assert any(c.meta["layout"] == "compact" for c in out)  # "sometimes extra whitespace"


def test_truncated_and_malformed_outputs_come_at_their_rates(examples):
    config = SimulatedTeacherConfig(truncated_rate=0.2, malformed_rate=0.2, word_error_rate=0.2,
                                    **FAST)
    teacher = SimulatedTeacher(TASK, config, seed=0)
    out = list(teacher.complete(examples))
    truncated = [c for c in out if c.meta["truncated"]]
    malformed = [c for c in out if c.meta["malformed"]]
    worded = [c for c in out if c.meta["word_error"]]
    n = len(out)
    for group in (truncated, malformed, worded):
        assert 0.1 * n <= len(group) <= 0.3 * n
    assert all(c.finish_reason == "length" for c in truncated)
    assert all(c.finish_reason == "stop" for c in out if not c.meta["truncated"])
    for c in malformed:
        assert c.text.count("(") != c.text.count(")")
    by_id = {ex.id: ex for ex in examples}
    lost = [TASK.check(by_id[c.id].source, c.text).status == Status.INVALID for c in truncated]
    assert sum(lost) >= len(truncated) // 2  # a cut-off parse mostly cannot be repaired


def test_describe_says_simulation_and_reports_calibration(teacher):
    facts = teacher.describe()
    assert facts["backend"] == "simulated" and facts["simulation"] is True
    assert teacher.is_simulation is True
    assert facts["config"]["target_f1"] == 60.0
    cal = facts["calibration"]
    assert cal["target"] == 60.0 and abs(cal["expected"] - 60.0) < 0.3
    assert abs(cal["achieved"] - 60.0) < 3.0  # plain mean of 200 calibration examples
    assert cal["good_half"] > cal["achieved"] > cal["bad_half"]
    assert cal["n"] == 200


def test_unknown_task_and_bad_rules_are_config_errors():
    class Other:
        name = "slot_filling"

    with pytest.raises(ConfigError, match="no error model for task 'slot_filling'"):
        SimulatedTeacher(Other(), seed=0)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="valid choices"):
        SimulatedTeacher(TASK, SimulatedTeacherConfig(systematic_rules=["always_wrong"]), seed=0)
    with pytest.raises(ConfigError, match="contradict"):
        SimulatedTeacher(TASK, SimulatedTeacherConfig(systematic_rules=["pp_low", "pp_high"]),
                         seed=0)
