"""TOP systematic rules and random edits: hand-computed rewrites, well-formed trees only, and
the model's bracket F1 equals the task's metric."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from mckd.config.teacher import SimulatedTeacherConfig
from mckd.core.records import Example
from mckd.tasks import get_task
from mckd.tasks.top.formats import read_tree, structure_problem
from mckd.teachers.simulated import SimulatedTeacher
from mckd.teachers.simulation.editing import LabelSampler
from mckd.teachers.simulation.top.random_errors import corrupt_to
from mckd.teachers.simulation.top.rules import RULES, apply_rules
from mckd.teachers.simulation.top.tree import bracket_f1, brackets, from_tree, render

TASK = get_task("top")
NO_DAMAGE = {"word_error_rate": 0.0, "malformed_rate": 0.0, "truncated_rate": 0.0,
             "loose_format_rate": 0.0, "calibration_size": 100}
NESTED = ("[IN:GET_ESTIMATED_DURATION Get the time to [SL:DESTINATION [IN:GET_LOCATION_HOME "
          "[SL:CONTACT my ] home ] ] using [SL:PATH Ring Road ] ]")


def rewrite(gold: str, *rules: str) -> str:
    words = tuple(read_tree(gold).leaves())
    root = from_tree(read_tree(gold))
    apply_rules(root, words, rules)
    return " ".join(render(root, words))


@pytest.mark.parametrize(("rule", "gold", "expected"), [
    ("flatten_location_intents", NESTED,
     ("[IN:GET_ESTIMATED_DURATION Get the time to [SL:DESTINATION my home ] using "
      "[SL:PATH Ring Road ] ]")),
    ("generic_location_intent", NESTED,
     NESTED.replace("IN:GET_LOCATION_HOME", "IN:GET_LOCATION")),
    ("duration_as_arrival", NESTED, NESTED.replace("DURATION", "ARRIVAL")),
    ("destination_as_location", NESTED, NESTED.replace("SL:DESTINATION", "SL:LOCATION")),
    ("time_without_preposition", "[IN:GET_EVENT concerts [SL:DATE_TIME at 5 pm ] ]",
     "[IN:GET_EVENT concerts at [SL:DATE_TIME 5 pm ] ]"),
    ("time_with_preposition", "[IN:GET_EVENT concerts at [SL:DATE_TIME 5 pm ] ]",
     "[IN:GET_EVENT concerts [SL:DATE_TIME at 5 pm ] ]"),
    ("strip_leading_the", "[IN:GET_EVENT [SL:CATEGORY_EVENT the game ] ]",
     "[IN:GET_EVENT the [SL:CATEGORY_EVENT game ] ]"),
    ("skip_location_user", "[IN:GET_EVENT fairs [SL:LOCATION_USER here ] ]",
     "[IN:GET_EVENT fairs here ]"),
])
def test_each_rule_rewrites_every_match_as_documented(rule, gold, expected):
    assert rewrite(gold, rule) == expected
    assert structure_problem(read_tree(expected)) == ""


def test_every_rule_is_documented():
    assert all(RULES[name].__doc__ for name in RULES)


def test_all_systematic_means_one_fixed_rewrite_per_gold():
    rules = ["flatten_location_intents", "duration_as_arrival"]
    config = SimulatedTeacherConfig(systematic_share=1.0, systematic_rules=rules, **NO_DAMAGE)
    source = " ".join(read_tree(NESTED).leaves())
    a = next(iter(SimulatedTeacher(TASK, config, seed=5).complete(
        [Example(id="a", source=source, gold=NESTED)])))
    b = next(iter(SimulatedTeacher(TASK, config, seed=6).complete(
        [Example(id="b", source=source, gold=NESTED)])))
    assert a.text == b.text == rewrite(NESTED, *rules)


def test_random_edits_give_well_formed_trees_scored_as_the_task_scores_them():
    intents = LabelSampler({"IN:GET_ESTIMATED_DURATION": 3, "IN:GET_ESTIMATED_ARRIVAL": 2,
                            "IN:GET_LOCATION_HOME": 1, "IN:GET_LOCATION": 2}, [])
    slots = LabelSampler({"SL:DESTINATION": 3, "SL:PATH": 2, "SL:CONTACT": 1}, [])
    root = from_tree(read_tree(NESTED))
    words = tuple(read_tree(NESTED).leaves())
    gold = brackets(root)
    source = " ".join(words)
    example = Example(id="x", source=source, gold=NESTED)
    rng = random.Random(0)
    kinds: Counter[str] = Counter()
    for _ in range(200):
        out, score, kept = corrupt_to(root, len(words), gold, intents, slots, rng.random(), rng,
                                      rng.random())
        kinds.update(kept)
        text = " ".join(render(out, words))
        assert structure_problem(read_tree(text)) == ""
        checked = TASK.check(source, text)
        assert TASK.example_score(example, checked) == pytest.approx(score)
        assert score == pytest.approx(bracket_f1(gold, brackets(out)))
    assert set(kinds) == {"wrong_intent", "wrong_slot", "boundary", "missing_slot",
                          "spurious_slot", "flatten_nested"}
