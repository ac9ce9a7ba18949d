"""Slot-filling systematic rules: hand-computed rewrites, and random edits that keep slots
well formed."""

from __future__ import annotations

import random

import pytest

from mckd.config.teacher import SimulatedTeacherConfig
from mckd.core.records import Example
from mckd.tasks import get_task
from mckd.tasks.slots.formats import chunks, tags_from_chunks
from mckd.teachers.simulated import SimulatedTeacher
from mckd.teachers.simulation.editing import LabelSampler
from mckd.teachers.simulation.slots.random_errors import chunk_f1, corrupt_to
from mckd.teachers.simulation.slots.rules import RULES, apply_rules

NO_DAMAGE = {"word_error_rate": 0.0, "malformed_rate": 0.0, "truncated_rate": 0.0,
             "loose_format_rate": 0.0, "calibration_size": 100}


def rewrite(source: str, gold: str, *rules: str) -> str:
    words = tuple(source.split())
    out, _ = apply_rules(words, tuple(chunks(gold.split())), rules)
    return " ".join(tags_from_chunks(len(words), out))


@pytest.mark.parametrize(("rule", "source", "gold", "expected"), [
    ("state_as_city", "weather in ohio and paris", "O O B-state O B-city",
     "O O B-city O B-city"),
    ("skip_best_rating", "give it 4 of 6 stars", "O O B-rating_value O B-best_rating B-rating_unit",
     "O O B-rating_value O O B-rating_unit"),
    ("skip_generic_restaurant_type", "book a restaurant or a pub",
     "O O B-restaurant_type O O B-restaurant_type", "O O O O O B-restaurant_type"),
    ("strip_leading_determiner", "find the fault in our stars",
     "O B-object_name I-object_name I-object_name I-object_name I-object_name",
     "O O B-object_name I-object_name I-object_name I-object_name"),
    ("include_preceding_determiner", "rate this book", "O O B-object_type",
     "O B-object_type I-object_type"),
    ("playlist_word_in_name", "add it to my jazz playlist",
     "O O O B-playlist_owner B-playlist O",
     "O O O B-playlist_owner B-playlist I-playlist"),
    ("time_range_with_preposition", "book it at 8 pm", "O O O B-timeRange I-timeRange",
     "O O B-timeRange I-timeRange I-timeRange"),
    ("time_range_without_preposition", "weather in five minutes",
     "O B-timeRange I-timeRange I-timeRange", "O O B-timeRange I-timeRange"),
    ("merge_adjacent_slots", "rate this essay", "O B-object_select B-object_type",
     "O B-object_type I-object_type"),
    ("tag_weather_as_condition", "weather in paris", "O O B-city",
     "B-condition_description O B-city"),
])
def test_each_rule_rewrites_every_match_as_documented(rule, source, gold, expected):
    assert rewrite(source, gold, rule) == expected


def test_rules_rewrite_every_match_and_report_counts():
    words = ("weather", "in", "ohio", "then", "in", "utah")
    gold = tuple(chunks(["O", "O", "B-state", "O", "O", "B-state"]))
    out, fired = apply_rules(words, gold, ("state_as_city", "tag_weather_as_condition"))
    assert out == (("condition_description", 0, 1), ("city", 2, 3), ("city", 5, 6))
    assert fired == {"state_as_city": 2, "tag_weather_as_condition": 1}
    assert all(RULES[name].__doc__ for name in RULES)


def test_all_systematic_means_one_fixed_rewrite_per_gold():
    task = get_task("slots")
    rules = ["state_as_city", "strip_leading_determiner"]
    config = SimulatedTeacherConfig(systematic_share=1.0, systematic_rules=rules, **NO_DAMAGE)
    ex = Example(id="a", source="play the wall in ohio", gold="O B-album I-album O B-state")
    other = Example(id="b", source=ex.source, gold=ex.gold)
    a = next(iter(SimulatedTeacher(task, config, seed=5).complete([ex])))
    b = next(iter(SimulatedTeacher(task, config, seed=6).complete([other])))
    assert a.text == b.text == "play O the O wall B-album in O ohio B-city"
    assert a.meta["random_errors"] == {}


def test_random_edits_keep_slots_disjoint_and_inside_the_sentence():
    labels = LabelSampler({"city": 5, "state": 3, "artist": 2}, [{"city", "state"}])
    rng = random.Random(0)
    gold = frozenset({("city", 1, 3), ("artist", 4, 5)})
    for _ in range(300):
        out, score, _ = corrupt_to(tuple(sorted(gold, key=lambda c: c[1])), 7, gold, labels,
                                   rng.random(), rng, rng.random())
        taken = [i for _, s, e in out for i in range(s, e)]
        assert len(taken) == len(set(taken)) and all(0 <= i < 7 for i in taken)
        assert all(e > s for _, s, e in out)
        assert score == chunk_f1(gold, out)
