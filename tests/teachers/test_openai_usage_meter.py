"""Usage, cost and the budget's hard stop (reservations cover requests in flight)."""

from __future__ import annotations

import pytest

from mckd.config.llm import BudgetConfig
from mckd.teachers.usage import UsageMeter

PRICES = {"usd_per_million_prompt_tokens": 0.5, "usd_per_million_completion_tokens": 1.5}


def test_cost_uses_both_prices():
    meter = UsageMeter(BudgetConfig(**PRICES))
    meter.add(2_000_000, 1_000_000)
    assert meter.spent_usd == pytest.approx(1.0 + 1.5)
    assert meter.summary()["cost_usd"] == pytest.approx(2.5)


def test_token_budget_counts_reservations_of_requests_in_flight():
    meter = UsageMeter(BudgetConfig(max_tokens=1000))
    assert meter.reserve(300, 100) is None
    assert meter.reserve(300, 100) is None
    refusal = meter.reserve(300, 100)  # 1,200 > 1,000 although nothing is spent yet
    assert refusal is not None and "budget.max_tokens = 1,000" in refusal
    meter.release(300, 100)
    meter.add(300, 20)  # the answer used less than its reservation
    assert meter.reserve(200, 50) is None  # 320 spent + 400 reserved + 250 <= 1,000
    assert meter.reserve(30, 1) is not None


def test_usd_budget_refuses_what_could_overshoot():
    meter = UsageMeter(BudgetConfig(max_usd=1.0, **PRICES))
    meter.add(1_000_000, 0)  # $0.50
    assert meter.reserve(500_000, 100_000) is None  # + $0.40 -> $0.90
    refusal = meter.reserve(100_000, 100_000)  # + $0.20 -> $1.10
    assert refusal is not None and "budget.max_usd = 1.0" in refusal


def test_no_budget_never_refuses():
    meter = UsageMeter()
    assert meter.reserve(10**12, 10**12) is None


def test_postfix_fields():
    meter = UsageMeter(BudgetConfig(**PRICES))
    meter.answered, meter.cached, meter.failed, meter.rejected = 5, 2, 1, 1
    meter.add(12_000, 345)
    fields = meter.postfix()
    assert fields["done"] == "7" and fields["cached"] == "2" and fields["failed"] == "2"
    assert fields["tok"] == "12.3k" and fields["$"] == "0.01" and "req/s" in fields
    assert "$" not in UsageMeter().postfix()
