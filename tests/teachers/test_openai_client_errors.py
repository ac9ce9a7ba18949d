"""Classifying server answers: what is retried, what stops the run, what is one bad request."""

from __future__ import annotations

import email.utils
import json
import random
import time

import pytest

from mckd.teachers.openai_client import (
    CallError,
    classify_status,
    parse_answer,
    redact,
    retry_after_s,
)
from mckd.teachers.retrying import RetryPolicy


@pytest.mark.parametrize("headers, seconds", [
    ({"retry-after": "3"}, 3.0),
    ({"retry-after": "0.5"}, 0.5),
    ({"retry-after-ms": "250"}, 0.25),
    ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
    ({"retry-after-ms": "soon", "retry-after": "2"}, 2.0),
    ({"retry-after": "later"}, None),
    ({"retry-after": ""}, None),
    ({}, None),
])
def test_retry_after_headers(headers, seconds):
    assert retry_after_s(headers) == seconds


def test_retry_after_as_http_date():
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= retry_after_s({"retry-after": when}) <= 31


def error_body(code: str, message: str = "m") -> dict:
    return {"error": {"code": code, "message": message, "type": code}}


@pytest.mark.parametrize("status, body, kind", [
    (429, error_body("rate_limit_exceeded"), "retry"),
    (429, error_body("insufficient_quota"), "fatal"),
    (429, error_body("insufficient_quota")["error"], "fatal"),  # the openai client's form
    (401, error_body("invalid_api_key"), "fatal"),
    (403, None, "fatal"),
    (404, error_body("model_not_found"), "fatal"),
    (500, None, "retry"),
    (503, "not json", "retry"),
    (408, None, "retry"),
    (400, error_body("context_length_exceeded"), "reject"),
    (422, None, "reject"),
])
def test_status_classes(status, body, kind):
    error = classify_status(status, body, {"retry-after": "2"})
    assert error.kind == kind and error.status == status
    assert (error.retry_after == 2.0) == (kind == "retry")


def test_messages_say_what_to_do():
    assert "quota" in classify_status(429, error_body("insufficient_quota"), {}).message
    assert "api_key_env" in classify_status(401, None, {}).message
    assert "model" in classify_status(404, None, {}).message


def test_redaction_removes_the_secret_everywhere():
    error = CallError("fatal", "bad key sk-123 (sk-123)").redacted("sk-123")
    assert "sk-123" not in error.message and "sk-123" not in str(error)
    assert redact("abc", None) == "abc"


def test_parse_chat_and_completion_bodies():
    chat = {"choices": [{"message": {"content": "( a )"}, "finish_reason": "stop"},
                        {"message": {"content": None}, "finish_reason": "length"}],
            "usage": {"prompt_tokens": 7, "completion_tokens": 3}}
    answer = parse_answer(json.dumps(chat).encode(), "chat")
    assert answer.choices == [("( a )", "stop"), ("", "length")]
    assert (answer.prompt_tokens, answer.completion_tokens) == (7, 3)
    text = {"choices": [{"text": " ( b )", "finish_reason": None}]}
    answer = parse_answer(json.dumps(text).encode(), "completions")
    assert answer.choices == [(" ( b )", "stop")] and answer.prompt_tokens == 0


@pytest.mark.parametrize("body", [b'{"choices": [{"mess', b"<html>502</html>", b'{"choices": []}',
                                  b'{"choices": [{"text": "x"}]}', b"[]"])
def test_malformed_bodies_are_retryable_errors(body):
    with pytest.raises(CallError) as info:
        parse_answer(body, "chat")
    assert info.value.kind == "retry" and "malformed" in info.value.message


def test_backoff_doubles_is_jittered_and_capped():
    policy = RetryPolicy(backoff_base_s=1.0, backoff_max_s=5.0)
    rng = random.Random(0)
    for attempt, cap in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)]:
        delays = [policy.backoff(attempt, rng) for _ in range(50)]
        assert all(cap / 2 <= d <= cap for d in delays)
        assert len(set(delays)) > 1
