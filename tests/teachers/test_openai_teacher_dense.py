"""The OpenAI teacher with dense demonstrations (a tiny random BERT from a temp folder): the
nearest gold input sits next to the query, and the demo ids are recorded per request."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "prompting"))

from fake_openai_server import FakeOpenAIServer  # noqa: E402
from openai_test_support import gold_demos, label, make_teacher  # noqa: E402
from tiny_bert_encoder import build_tiny_bert  # noqa: E402

from mckd.core.records import Example  # noqa: E402
from mckd.teachers.ledger import Ledger  # noqa: E402

pytest.importorskip("torch")
pytest.importorskip("transformers")


def test_dense_demos_are_nearest_first_and_recorded(tmp_path):
    golds = gold_demos(12)
    encoder = build_tiny_bert(tmp_path / "enc", (w for ex in golds for w in ex.source.split()))
    # each query repeats one gold sentence: its own gold example is its nearest neighbour
    queries = [Example(f"q{i}", golds[i].source) for i in (2, 7)]
    with FakeOpenAIServer() as server:
        teacher = make_teacher(server, tmp_path, prompt={
            "num_demos": 3, "selection": "dense", "dense": {"encoder": str(encoder)}})
        got = label(teacher, queries)
        for i, query in zip((2, 7), queries, strict=True):
            demo_ids = got[query.id].meta["demo_ids"]
            assert len(demo_ids) == 3 and demo_ids[-1] == golds[i].id  # next to the query
            prompt = next(r.body["messages"][0]["content"] for r in server.received
                          if r.body["messages"][0]["content"].endswith(
                              f"Input: {query.source}\nOutput:"))
            assert prompt.count(f"Input: {query.source}\n") == 2  # the demo and the query
    assert teacher.describe()["prompt"]["dense"]["encoder"] == str(encoder)
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        stored = {e.example_id: e.demo_ids for e in map(ledger.get, (
            got[q.id].meta["ledger_key"] for q in queries))}
    assert stored == {q.id: got[q.id].meta["demo_ids"] for q in queries}
