"""The OpenAI teacher under injected faults: retries, truncation, stops that resume cleanly."""

from __future__ import annotations

import logging

import pytest
from fake_openai_server import FakeOpenAIServer, flat_parse
from ledger_support import answered_ids
from openai_test_support import inputs, label, make_teacher

from mckd.core.errors import BudgetExceeded, TeacherUnavailable
from mckd.teachers.ledger import Ledger

EXAMPLES = inputs(6)
Q0, Q1 = EXAMPLES[0].source, EXAMPLES[1].source


def requests_for(server, query):
    from fake_openai_server import query_of
    return [r for r in server.received if r.body and query_of(r.body) == query]


@pytest.mark.parametrize("faults", [["500"], ["500", "500"], ["malformed"], ["drop"],
                                    ["429ms"], ["timeout"], ["500", "malformed", "drop"]])
def test_transient_faults_are_retried_until_answered(tmp_path, faults):
    with FakeOpenAIServer(script={Q0: faults}, retry_after=0.05, hang_s=2.0) as server:
        got = label(make_teacher(server, tmp_path, timeout_s=0.5), EXAMPLES)
    assert got[EXAMPLES[0].id].text == flat_parse(Q0)
    assert got[EXAMPLES[0].id].meta["attempts"] == len(faults) + 1
    assert len(requests_for(server, Q0)) == len(faults) + 1
    assert all(c.meta["attempts"] == 1 for k, c in got.items() if k != EXAMPLES[0].id)


def test_retry_after_is_honoured_and_pauses_everyone(tmp_path):
    with FakeOpenAIServer(script={Q0: ["429"]}, retry_after=0.4) as server:
        label(make_teacher(server, tmp_path, concurrency=1), EXAMPLES)
    first, second = requests_for(server, Q0)
    assert second.at - first.at >= 0.4
    later = [r for r in server.received if r.at > first.at and r is not second]
    assert all(r.at >= first.at + 0.4 for r in later)  # nobody sent during the pause


def test_garbage_and_chatty_answers_are_answers_kept_raw(tmp_path):
    with FakeOpenAIServer(script={Q0: ["garbage"], Q1: ["prefixed"]}) as server:
        got = label(make_teacher(server, tmp_path), EXAMPLES)
    garbage, chatty = got[EXAMPLES[0].id], got[EXAMPLES[1].id]
    assert garbage.text.startswith("I am sorry") and garbage.finish_reason == "stop"
    assert chatty.text == flat_parse(Q1)
    assert chatty.meta["raw_text"].startswith("Output: ") and "Input:" in chatty.meta["raw_text"]


def test_truncated_answer_is_asked_again_with_more_room(tmp_path):
    with FakeOpenAIServer() as server:  # answers of more than max_tokens words are cut
        got = label(make_teacher(server, tmp_path, max_tokens=8, retry_max_tokens=100),
                    EXAMPLES[:2])
    for ex in EXAMPLES[:2]:
        c = got[ex.id]
        assert c.text == flat_parse(ex.source) and c.finish_reason == "stop"
        assert c.meta["truncated_retry"] is True
        assert c.usage["completion_tokens"] == 8 + len(flat_parse(ex.source).split())
    assert [r.body["max_tokens"] for r in requests_for(server, Q0)] == [8, 100]
    with Ledger(tmp_path / "ledger.sqlite") as ledger:  # both answers were paid: both kept
        assert ledger.counts()["answers"] == 4


def test_truncated_answer_without_retry_is_recorded_as_truncated(tmp_path):
    with FakeOpenAIServer(script={Q0: ["length"]}) as server:
        teacher = make_teacher(server, tmp_path, retry_max_tokens=None)
        got = label(teacher, EXAMPLES)
    assert got[EXAMPLES[0].id].finish_reason == "length"
    words = flat_parse(Q0).split()
    assert got[EXAMPLES[0].id].text == " ".join(words[: len(words) // 2])
    assert teacher.describe()["usage"]["truncated"] == 1


def test_a_rejected_request_is_reported_not_cached(tmp_path):
    with FakeOpenAIServer(script={Q0: ["400"]}) as server:
        got = label(make_teacher(server, tmp_path), EXAMPLES)
    bad = got[EXAMPLES[0].id]
    assert bad.finish_reason == "error" and bad.text == ""
    assert "context_length_exceeded" in bad.meta["error"]
    assert len(requests_for(server, Q0)) == 1  # not retried
    assert EXAMPLES[0].id not in answered_ids(tmp_path / "ledger.sqlite")
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        assert ledger.counts() == {"answers": 5, "failures": 1}


def test_exhausted_retries_end_the_run_resumably(tmp_path):
    with FakeOpenAIServer(script={Q0: ["500"] * 3}) as server:
        seen = []
        with pytest.raises(TeacherUnavailable, match=r"1 input\(s\) failed after 3 attempts"):
            for c in make_teacher(server, tmp_path, max_attempts=3).complete(EXAMPLES):
                seen.append(c.id)
        assert sorted(seen) == sorted(ex.id for ex in EXAMPLES[1:])
        sent = len(server.received)
        got = label(make_teacher(server, tmp_path, max_attempts=3), EXAMPLES)  # server healed
    assert len(server.received) == sent + 1  # only the failed input is asked again
    assert got[EXAMPLES[0].id].text == flat_parse(Q0)


@pytest.mark.parametrize("fault, message", [("quota", "quota"), ("auth", "api_key_env")])
def test_quota_and_auth_errors_stop_cleanly_and_resume(tmp_path, fault, message):
    examples = inputs(30)
    with FakeOpenAIServer(script={examples[10].source: [fault]}, latency_s=0.01) as server:
        teacher = make_teacher(server, tmp_path, concurrency=2)
        done = []
        with pytest.raises(TeacherUnavailable, match=message):
            for c in teacher.complete(examples):
                done.append(c.id)
        assert len(done) < 30 and len(server.received) < 30  # stopped taking new inputs
        assert answered_ids(tmp_path / "ledger.sqlite") == set(done)
        before = len(server.received)
        got = label(make_teacher(server, tmp_path, concurrency=2), examples)
    assert set(got) == {ex.id for ex in examples}
    assert len(server.received) - before == 30 - len(done)  # nothing answered is asked again


def test_api_key_is_sent_but_never_stored_or_logged(tmp_path, monkeypatch, caplog):
    secret = "sk-test-DO-NOT-STORE-1234567890"
    monkeypatch.setenv("MCKD_TEST_KEY", secret)
    caplog.set_level(logging.DEBUG)
    with FakeOpenAIServer(script={Q1: ["auth"]}) as server:  # echoes the key in its error
        teacher = make_teacher(server, tmp_path, api_key_env="MCKD_TEST_KEY",
                               ledger={"store_requests": True})
        with pytest.raises(TeacherUnavailable) as info:
            label(teacher, EXAMPLES)
    assert server.received[0].headers["authorization"] == f"Bearer {secret}"
    assert secret not in str(info.value)
    assert secret not in caplog.text
    assert secret not in repr(teacher.describe())
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "ledger.sqlite" for p in files)
    for path in files:
        assert secret.encode() not in path.read_bytes(), path


def test_token_budget_is_a_hard_stop_that_resumes(tmp_path):
    examples = inputs(20)
    with FakeOpenAIServer() as server:
        options = {"max_tokens": 40, "retry_max_tokens": None, "concurrency": 3}
        probe = make_teacher(server, tmp_path / "probe", **options)
        label(probe, examples[:1])
        per_request = probe.describe()["usage"]["prompt_tokens"] + 40
        budget = {"max_tokens": per_request * 8}
        teacher = make_teacher(server, tmp_path, budget=budget, **options)
        done = []
        with pytest.raises(BudgetExceeded, match="raise the budget and rerun"):
            for c in teacher.complete(examples):
                done.append(c.id)
        usage = teacher.describe()["usage"]
        assert 3 <= len(done) < 20
        assert usage["prompt_tokens"] + usage["completion_tokens"] <= budget["max_tokens"]
        sent = len(server.received)
        more = make_teacher(server, tmp_path, budget={"max_tokens": 10**7}, **options)
        got = label(more, examples)
    assert set(got) == {ex.id for ex in examples}
    assert len(server.received) - sent == 20 - len(done)


def test_cost_budget_needs_prices_and_reports_dollars(tmp_path):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="max_usd needs token prices"):
        make_teacher(FakeOpenAIServer(), tmp_path, budget={"max_usd": 1.0})
    with FakeOpenAIServer() as server:
        prices = {"usd_per_million_prompt_tokens": 1000.0,
                  "usd_per_million_completion_tokens": 2000.0}
        teacher = make_teacher(server, tmp_path, budget=prices)
        label(teacher, EXAMPLES)
    usage = teacher.describe()["usage"]
    expected = (usage["prompt_tokens"] * 1000 + usage["completion_tokens"] * 2000) / 1e6
    assert usage["cost_usd"] == pytest.approx(expected) and expected > 0
