"""The OpenAI teacher against a loopback server: prompts, completions, ledger reruns."""

from __future__ import annotations

import pytest
from fake_openai_server import FakeOpenAIServer, flat_parse, query_of
from openai_test_support import gold_demos, inputs, label, make_teacher

from mckd.core.errors import ConfigError, DataError
from mckd.core.records import Example
from mckd.teachers.ledger import Ledger


@pytest.fixture()
def server():
    with FakeOpenAIServer() as srv:
        yield srv


@pytest.mark.parametrize("http_client", ["aiohttp", "httpx"])
def test_labels_every_input_with_the_papers_prompt(server, tmp_path, http_client):
    examples = inputs(10)
    seen = []
    teacher = make_teacher(server, tmp_path, http_client=http_client)
    got = {c.id: c for c in teacher.complete(examples, on_result=seen.append)}
    assert [c.id for c in seen] == list(got) and set(got) == {ex.id for ex in examples}
    for ex in examples:
        c = got[ex.id]
        assert c.text == flat_parse(ex.source) and c.finish_reason == "stop"
        assert c.usage["prompt_tokens"] > 0 and c.usage["completion_tokens"] > 0
        assert len(c.meta["demo_ids"]) == 3 and c.meta["cache_hit"] is False
        assert c.meta["attempts"] == 1 and c.meta["latency_s"] > 0
    body = server.received[0].body
    prompt = body["messages"][0]["content"]
    assert server.received[0].path == "/v1/chat/completions"
    assert prompt.count("Input: ") == 4 and prompt.endswith("\nOutput:")
    demo_ids = got[query_id(server.received[0].body, examples)].meta["demo_ids"]
    golds = {ex.id: ex for ex in gold_demos()}
    first = golds[demo_ids[0]]
    assert prompt.startswith(f"Input: {first.source}\nOutput: ( ")  # gold in the paper's form
    assert body["model"] == "fake-model" and body["stop"] == ["\nInput:"]
    assert body["max_tokens"] == 512 and body["temperature"] == 0.0


def query_id(body, examples):
    return next(ex.id for ex in examples if ex.source == query_of(body))


def test_completions_endpoint_sends_one_prompt_string(server, tmp_path):
    teacher = make_teacher(server, tmp_path, endpoint="completions",
                           prompt={"instruction": "Parse."})
    got = label(teacher, inputs(3))
    assert all(c.text == flat_parse(f"input number {c.id[-1]} is here .")
               for c in got.values())
    body = server.received[0].body
    assert server.received[0].path == "/v1/completions"
    assert body["prompt"].startswith("Parse.\n\nInput: ") and "messages" not in body


def test_rerun_is_answered_from_the_ledger_without_any_request(server, tmp_path):
    examples = inputs(12)
    first = label(make_teacher(server, tmp_path), examples)
    sent = len(server.received)
    assert sent == 12
    again = label(make_teacher(server, tmp_path, concurrency=7), examples)  # concurrency not in key
    assert len(server.received) == sent
    assert all(c.meta["cache_hit"] for c in again.values())
    assert {k: c.text for k, c in again.items()} == {k: c.text for k, c in first.items()}
    assert {k: c.meta["demo_ids"] for k, c in again.items()} == {
        k: c.meta["demo_ids"] for k, c in first.items()}


def test_rerun_needs_no_server_at_all(tmp_path):
    with FakeOpenAIServer() as server:
        first = label(make_teacher(server, tmp_path), inputs(5))
    again = label(make_teacher(server, tmp_path), inputs(5))  # the server is gone
    assert {k: c.text for k, c in again.items()} == {k: c.text for k, c in first.items()}
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        entry = ledger.get(first["u000"].meta["ledger_key"])
    assert entry.demo_ids == first["u000"].meta["demo_ids"]
    assert entry.text == first["u000"].text and entry.example_id == "u000"


def test_decoding_changes_are_new_requests(server, tmp_path):
    label(make_teacher(server, tmp_path), inputs(3))
    label(make_teacher(server, tmp_path, temperature=0.5), inputs(3))
    label(make_teacher(server, tmp_path, seed=1), inputs(3))  # other demos
    assert len(server.received) == 9


def test_same_seed_same_demos_other_seed_other_demos(server, tmp_path):
    a = label(make_teacher(server, tmp_path / "a", seed=3), inputs(5))
    b = label(make_teacher(server, tmp_path / "b", seed=3), inputs(5))
    c = label(make_teacher(server, tmp_path / "c", seed=4), inputs(5))
    def ids(got):
        return [got[k].meta["demo_ids"] for k in sorted(got)]

    assert ids(a) == ids(b) != ids(c)


def test_bm25_selection_and_chat_turns(server, tmp_path):
    demos = gold_demos(12)
    query = Example(id="q", source=demos[4].source + " again")
    teacher = make_teacher(server, tmp_path, prompt={"selection": "bm25", "num_demos": 2,
                                                     "chat_layout": "turns"})
    got = label(teacher, [query])
    assert got["q"].meta["demo_ids"][-1] == demos[4].id  # nearest neighbour next to the query
    messages = server.received[0].body["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"] * 2 + ["user"]


def test_candidates_when_n_above_one(server, tmp_path):
    got = label(make_teacher(server, tmp_path, n=3), inputs(2))
    assert all(len(c.meta["candidates"]) == 3 for c in got.values())
    assert server.received[0].body["n"] == 3


def test_demos_that_do_not_fit_are_dropped_and_counted(server, tmp_path):
    teacher = make_teacher(server, tmp_path, max_tokens=100, retry_max_tokens=None,
                           prompt={"num_demos": 10, "context_tokens": 400})
    got = label(teacher, inputs(4))
    stats = teacher.describe()["packing"]
    assert stats["trimmed"] == 4 and stats["demos_dropped"] > 0
    assert all(0 < len(c.meta["demo_ids"]) < 10 for c in got.values())
    assert all(c.meta["dropped_demos"] == 10 - len(c.meta["demo_ids"]) for c in got.values())


def test_answers_are_in_the_ledger_before_they_are_handed_out(server, tmp_path):
    teacher = make_teacher(server, tmp_path)
    for completion in teacher.complete(inputs(4)):
        with Ledger(tmp_path / "ledger.sqlite") as ledger:
            assert ledger.get(completion.meta["ledger_key"]) is not None


def test_stopping_early_returns_promptly(server, tmp_path):
    server.latency_s = 0.2
    teacher = make_teacher(server, tmp_path, concurrency=2)
    for _ in teacher.complete(inputs(40)):
        break  # the generator is closed: the background loop must end, not label all 40
    assert len(server.received) < 10


def test_configuration_errors_are_clear(server, tmp_path, monkeypatch):
    monkeypatch.delenv("MCKD_TEST_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"MCKD_TEST_KEY .* is not set"):
        make_teacher(server, tmp_path, api_key_env="MCKD_TEST_KEY")
    with pytest.raises(DataError, match="has no gold"):
        from openai_test_support import TASK, OpenAITeacher, OpenAITeacherConfig
        OpenAITeacher(TASK, OpenAITeacherConfig(model="m", api_key_env=None),
                      demos=[Example(id="x", source="a b")], seed=0)


def test_describe_names_the_setup_and_no_secret(server, tmp_path, monkeypatch):
    monkeypatch.setenv("MCKD_TEST_KEY", "sk-describe-secret")
    teacher = make_teacher(server, tmp_path, api_key_env="MCKD_TEST_KEY")
    facts = teacher.describe()
    assert facts["backend"] == "openai" and facts["model"] == "fake-model"
    assert facts["api_key_env"] == "MCKD_TEST_KEY" and facts["demo_pool"] == 12
    assert "sk-describe-secret" not in repr(facts)


def test_drop_and_timeout_are_retried_with_either_transport(tmp_path):
    examples = inputs(2)
    script = {examples[0].source: ["drop", "500"], examples[1].source: ["timeout"]}
    for transport in ("aiohttp", "httpx"):
        with FakeOpenAIServer(script=script, hang_s=2.0) as server:
            (tmp_path / transport).mkdir()
            teacher = make_teacher(server, tmp_path / transport, http_client=transport,
                                   timeout_s=0.5, backoff_base_s=0.01)
            got = label(teacher, examples)
            assert {c.id: c.text for c in got.values()} == {
                ex.id: flat_parse(ex.source) for ex in examples}
            assert got[examples[0].id].meta["attempts"] == 3
            assert got[examples[1].id].meta["attempts"] == 2


def test_an_aiohttp_transport_that_is_not_installed_is_refused_before_any_request(
        server, tmp_path, monkeypatch):
    import mckd.teachers.openai_client as client

    monkeypatch.setattr(client, "aiohttp_available", lambda: False)
    with pytest.raises(ConfigError, match=r"http_client is 'aiohttp'.*set http_client: httpx"):
        make_teacher(server, tmp_path, http_client="aiohttp")
    assert server.received == []
    teacher = make_teacher(server, tmp_path, http_client="auto")  # auto falls back to httpx
    assert label(teacher, inputs(2))
