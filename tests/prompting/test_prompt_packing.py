"""Packing demos into a token budget: drop the least useful, keep the best next to the query."""

from __future__ import annotations

from mckd.prompting import Demo, PackingStats, estimate_tokens, pack

RANKED = [Demo(f"d{i}", "w " * (i + 1), "o") for i in range(5)]  # best first; d_i costs i + 1


def measure(demos):
    """Prompt size: 10 for the query plus each demo's word count."""
    return 10 + sum(len(d.input.split()) for d in demos)


def test_everything_fits_best_demo_last():
    packed = pack(RANKED, budget=100, measure=measure)
    assert [d.id for d in packed.demos] == ["d4", "d3", "d2", "d1", "d0"]
    assert packed.dropped == () and packed.fits and packed.tokens == 25


def test_least_useful_demos_are_dropped_until_it_fits():
    packed = pack(RANKED, budget=16, measure=measure)  # 10 + 1 + 2 + 3 = 16
    assert [d.id for d in packed.demos] == ["d2", "d1", "d0"]
    assert packed.dropped == ("d4", "d3")  # least useful first
    assert packed.tokens == 16 and packed.fits


def test_a_query_too_long_for_the_budget_goes_without_demos_and_is_flagged():
    packed = pack(RANKED, budget=5, measure=measure)
    assert packed.demos == () and not packed.fits and len(packed.dropped) == 5


def test_stats_count_trimmed_prompts_and_dropped_demos():
    stats = PackingStats()
    for budget in (100, 16, 5):
        stats.add(pack(RANKED, budget, measure))
    assert stats.as_dict() == {"prompts": 3, "trimmed": 2, "demos_dropped": 7, "overflowing": 1}


def test_token_estimate_counts_brackets_and_words_or_a_quarter_of_the_characters():
    assert estimate_tokens("( ( The ) ( dog ) )") == 8
    assert estimate_tokens("Input: a") == 3
    assert estimate_tokens("x" * 40) == 10
    assert estimate_tokens("") == 0
