"""``teacher.openai.constrain: grammar``: each request carries its input's grammar in the
server's own field, the ledger key covers it, and a server that refuses it stops the run
with a clear error."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAIServer, flat_parse
from openai_test_support import inputs, label, make_teacher
from pydantic import ValidationError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tasks"))
from gbnf_reader import Recognizer

import mckd
from mckd.config.llm import OpenAITeacherConfig
from mckd.core.errors import ConfigError, TeacherUnavailable
from mckd.tasks.top.task import TopTask
from mckd.teachers.ledger import Ledger
from mckd.teachers.openai_backend import OpenAITeacher

EXAMPLES = inputs(3)


def _bodies(server: FakeOpenAIServer) -> dict[str, dict]:
    from fake_openai_server import query_of

    return {query_of(r.body): r.body for r in server.received if r.body is not None}


@pytest.mark.parametrize(("server_kind", "field"), [
    ("llama.cpp", lambda body: body["grammar"]),
    ("vllm", lambda body: body["structured_outputs"]["grammar"]),
    ("sglang", lambda body: body["ebnf"]),
])
def test_each_request_carries_its_inputs_grammar(tmp_path, server_kind, field):
    with FakeOpenAIServer() as server:
        teacher = make_teacher(server, tmp_path, constrain="grammar", grammar_server=server_kind)
        got = label(teacher, EXAMPLES)
        bodies = _bodies(server)
    assert set(got) == {ex.id for ex in EXAMPLES}
    for ex in EXAMPLES:
        grammar = Recognizer(field(bodies[ex.source]))
        assert grammar.accepts(flat_parse(ex.source))  # the answer it should admit
        other = next(e for e in EXAMPLES if e is not ex)
        assert not grammar.accepts(flat_parse(other.source))
    assert teacher.describe()["constrain"] == "grammar"


def test_no_grammar_field_without_constrain(tmp_path):
    with FakeOpenAIServer() as server:
        label(make_teacher(server, tmp_path), EXAMPLES)
        bodies = _bodies(server)
    assert not any({"grammar", "structured_outputs", "ebnf"} & set(b) for b in bodies.values())


def test_the_ledger_key_covers_the_grammar(tmp_path):
    keys = {}
    with FakeOpenAIServer() as server:
        for name, options in {"none": {}, "llama.cpp": {"constrain": "grammar"},
                              "vllm": {"constrain": "grammar", "grammar_server": "vllm"}}.items():
            teacher = make_teacher(server, tmp_path, **options)
            keys[name] = {c.id: c.meta["ledger_key"] for c in teacher.complete(EXAMPLES)}
        requests = server.counts["requests"]
    for ex in EXAMPLES:  # same prompts, three different requests
        assert len({keys[name][ex.id] for name in keys}) == 3
    assert requests == 3 * len(EXAMPLES)
    ledger = Ledger(tmp_path / "ledger.sqlite")
    try:
        assert all(ledger.get(keys["vllm"][ex.id]) is not None for ex in EXAMPLES)
    finally:
        ledger.close()


def test_a_server_that_refuses_the_grammar_field_stops_the_run(tmp_path):
    with FakeOpenAIServer(reject_fields=("grammar",)) as server:
        teacher = make_teacher(server, tmp_path, constrain="grammar", concurrency=1)
        with pytest.raises(TeacherUnavailable,
                           match=r"refused the grammar sent in 'grammar'.*grammar_server"):
            label(teacher, inputs(5))
        assert server.counts["refused_field"] < 5  # it stopped instead of asking every input


def test_a_grammar_llama_cpp_cannot_parse_stops_the_run(tmp_path):
    # llama.cpp's native server (xllamacpp 2026.10.11549) answers a GBNF text it cannot parse
    # with exactly this 400, on /v1/completions and /v1/chat/completions alike
    message = "Failed to initialize samplers: failed to parse grammar"
    with FakeOpenAIServer(reject_fields=("grammar",), reject_message=message) as server:
        teacher = make_teacher(server, tmp_path, constrain="grammar", concurrency=1)
        with pytest.raises(TeacherUnavailable,
                           match=r"refused the grammar sent in 'grammar'.*failed to parse grammar"):
            label(teacher, inputs(5))
        assert server.counts["refused_field"] == 1  # no retries, no other input asked


def test_a_task_without_a_grammar_is_a_config_error(tmp_path):
    config = OpenAITeacherConfig(model="m", base_url="http://127.0.0.1:1/v1", api_key_env=None,
                                 constrain="grammar")
    top = TopTask()
    demos = top.load(str(Path(mckd.__file__).parent / "data" / "top_demo" / "labeled_50.jsonl"))
    with pytest.raises(ConfigError, match="not supported for task 'top'"):
        OpenAITeacher(top, config, demos=demos, seed=0, ledger_path=tmp_path / "l.sqlite")


def test_extra_body_may_not_set_the_grammar_field():
    with pytest.raises(ValidationError, match="extra_body sets 'ebnf'"):
        OpenAITeacherConfig(model="m", constrain="grammar", grammar_server="sglang",
                            extra_body={"ebnf": "root ::= \"x\""})


def test_runs_made_before_the_switch_keep_their_teacher_fingerprint():
    from mckd.config.loading import load_config
    from mckd.pipeline.steps import teacher_inputs

    demo = str(Path(__file__).resolve().parents[2] / "examples" / "craft-demo.yaml")
    base = ["teacher.backend=openai", "teacher.openai.model=m"]
    free = teacher_inputs(load_config(demo, base))["openai"]
    assert "constrain" not in free and "grammar_server" not in free  # as before the switch
    constrained = teacher_inputs(load_config(demo, [*base, "teacher.openai.constrain=grammar"]))
    assert constrained["openai"]["constrain"] == "grammar"
