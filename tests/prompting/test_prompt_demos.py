"""Demonstration selection: seeded random draws (the paper) and BM25 nearest neighbours."""

from __future__ import annotations

import math

import pytest

from mckd.core.errors import ConfigError
from mckd.prompting import BM25Selector, Demo, RandomSelector, make_selector

POOL = [Demo(f"g{i:02d}", f"sentence number {i} .", f"( out {i} )") for i in range(40)]


def test_random_draws_k_distinct_demos_never_the_query_itself():
    selector = RandomSelector(POOL, 30, seed=1)
    demos = selector.select("g05", "sentence number 5 .")
    assert len(demos) == 30 == len({d.id for d in demos})
    assert "g05" not in {d.id for d in demos}


def test_random_draw_depends_on_seed_and_query_only():
    a = RandomSelector(POOL, 10, seed=1)
    b = RandomSelector(list(reversed(POOL)), 10, seed=1)  # file order must not matter
    assert a.select("u1", "x") == b.select("u1", "x")
    a.select("u2", "y")  # other queries drawn in between change nothing
    assert a.select("u1", "x") == b.select("u1", "x")
    assert a.select("u1", "x") != a.select("u3", "x")
    assert a.select("u1", "x") != RandomSelector(POOL, 10, seed=2).select("u1", "x")


def test_random_with_k_above_pool_size_uses_the_whole_pool():
    assert len(RandomSelector(POOL[:5], 30, seed=0).select("u", "x")) == 5
    assert RandomSelector(POOL, 0, seed=0).select("u", "x") == []


def test_bm25_scores_match_a_hand_computation():
    pool = [Demo("a", "the cat sat", "A"), Demo("b", "the dog ran", "B"),
            Demo("c", "a cat and a dog", "C")]
    selector = BM25Selector(pool, 3, k1=1.5, b=0.75)
    # "cat": in 2 of 3 docs -> idf = ln(1 + (3 - 2 + .5) / (2 + .5)) = ln 1.6
    # doc a: length 3, average length (3 + 3 + 5) / 3 = 11/3
    idf = math.log(1.6)
    norm_a = 1.5 * (1 - 0.75 + 0.75 * 3 / (11 / 3))
    expected_a = idf * 1 * 2.5 / (1 + norm_a)
    scores = selector.scores("cat")
    assert scores[0] == pytest.approx(expected_a)
    assert scores[1] == 0.0
    assert scores[2] < scores[0]  # same term frequency, longer document


def test_bm25_ranks_lexical_neighbours_first_ties_by_id():
    pool = [Demo("z", "protein binds receptor", "Z"), Demo("y", "weather is nice", "Y"),
            Demo("x", "the receptor binds a protein kinase", "X"), Demo("w", "cats", "W")]
    ranked = BM25Selector(pool, 4).select("q", "Which protein binds the receptor ?")
    assert [d.id for d in ranked[:2]] in (["z", "x"], ["x", "z"])
    assert [d.id for d in ranked[2:]] == ["w", "y"]  # no shared word: by id
    assert BM25Selector(pool, 4).select("x", "receptor")[0].id == "z"  # never itself


def test_make_selector_names_valid_choices_and_rejects_duplicates():
    assert isinstance(make_selector("bm25", POOL, 3, seed=0), BM25Selector)
    with pytest.raises(ConfigError, match="valid choices: random, fixed, bm25, dense"):
        make_selector("dense-ish", POOL, 3, seed=0)
    with pytest.raises(ConfigError, match="duplicate id 'g00'"):
        make_selector("random", POOL + POOL[:1], 3, seed=0)
    with pytest.raises(ConfigError, match=">= 0"):
        make_selector("random", POOL, -1, seed=0)


def test_fixed_shows_the_same_seeded_draw_with_every_query():
    selector = make_selector("fixed", POOL, 10, seed=1)
    first = selector.select("u1", "x")
    assert len(first) == 10 == len({d.id for d in first})
    assert selector.select("u2", "something else") == first  # a shared prompt prefix
    reordered = make_selector("fixed", list(reversed(POOL)), 10, seed=1)
    assert reordered.select("u1", "x") == first
    assert make_selector("fixed", POOL, 10, seed=2).select("u1", "x") != first
    own = first[3].id  # a query that is itself a demo gets k others
    assert len(selector.select(own, "x")) == 10 and own not in {
        d.id for d in selector.select(own, "x")}
