"""The ``transformers`` teacher on a tiny random Llama saved to a temp folder: batched
generation with the paper's prompts, gibberish recorded as invalid, the ledger reused."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))

from openai_test_support import TASK, gold_demos, inputs  # noqa: E402
from tiny_causal_lm import build_tiny_causal_lm  # noqa: E402

from mckd.config.llm import TransformersTeacherConfig  # noqa: E402
from mckd.core.errors import ConfigError  # noqa: E402
from mckd.core.records import Example, Status  # noqa: E402
from mckd.pipeline.labeling import label_row  # noqa: E402

pytest.importorskip("torch")
pytest.importorskip("transformers")

from mckd.teachers.transformers_backend import TransformersTeacher  # noqa: E402

pytestmark = pytest.mark.slow  # generates with a tiny causal LM


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory) -> Path:
    return build_tiny_causal_lm(tmp_path_factory.mktemp("tiny_llama"))


@pytest.fixture(scope="module")
def tiny_lm_plain(tmp_path_factory) -> Path:
    return build_tiny_causal_lm(tmp_path_factory.mktemp("tiny_llama_plain"), chat_template=False)


def make(model: Path, ledger: Path, **options) -> TransformersTeacher:
    settings = {"model": str(model), "max_tokens": 12, "batch_size": 4, "progress_bar": False,
                "prompt": {"num_demos": 3}, "ledger": {"store_requests": True}, **options}
    return TransformersTeacher(TASK, TransformersTeacherConfig(**settings), demos=gold_demos(12),
                               seed=0, ledger_path=ledger)


def stored_prompts(ledger: Path) -> list[str]:
    import json

    with sqlite3.connect(ledger) as db:
        return [json.loads(r[0])["prompt"] for r in db.execute("SELECT request FROM answers")]


def test_labels_every_input_and_a_rerun_never_loads_the_model(tiny_lm, tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    examples = inputs(6)
    seen = []
    teacher = make(tiny_lm, ledger)
    got = {c.id: c for c in teacher.complete(examples, on_result=seen.append)}
    assert set(got) == {ex.id for ex in examples} and len(seen) == 6
    for c in got.values():
        assert c.finish_reason in ("stop", "length")
        assert c.usage["prompt_tokens"] > 100 and 0 < c.usage["completion_tokens"] <= 12
        assert c.finish_reason == "stop" or c.usage["completion_tokens"] == 12
        assert len(c.meta["demo_ids"]) == 3 and c.meta["cache_hit"] is False
        assert c.meta["latency_s"] > 0
        # a random model writes gibberish: recorded as invalid, never a crash
        row = label_row(TASK.check, next(ex for ex in examples if ex.id == c.id), "unlabeled",
                        c.to_dict(), "teacher:transformers")
        assert row["status"] == Status.INVALID.value and row["reason"]
    prompts = stored_prompts(ledger)
    assert len(prompts) == 6
    assert all(p.startswith("<|user|>\nInput: ") and p.endswith("<|assistant|>\n")
               for p in prompts)  # the tokenizer's chat template
    summary = teacher.describe()
    assert summary["chat_template"] is True and summary["usage"]["answered"] == 6

    again = make(tiny_lm, ledger)
    replay = {c.id: c for c in again.complete(examples)}
    assert all(c.meta["cache_hit"] for c in replay.values())
    assert {k: (c.text, c.usage) for k, c in replay.items()} == {
        k: (c.text, c.usage) for k, c in got.items()}
    assert again.lm.model is None  # everything came from the ledger


def test_truncation_is_reported_as_length(tiny_lm, tmp_path):
    teacher = make(tiny_lm, tmp_path / "l.sqlite", max_tokens=2, stop=[])
    got = list(teacher.complete(inputs(3)))
    # two tokens and no stop string: every answer that did not end with EOS hit the limit
    assert all(c.finish_reason == "length" or c.usage["completion_tokens"] <= 2 for c in got)
    assert any(c.finish_reason == "length" for c in got)
    assert teacher.describe()["usage"]["truncated"] >= 1


def test_completion_text_without_a_chat_template(tiny_lm, tiny_lm_plain, tmp_path, caplog):
    teacher = make(tiny_lm_plain, tmp_path / "a.sqlite")  # chat asked, no template
    assert "no chat template" in caplog.text
    list(teacher.complete(inputs(2)))
    prompts = stored_prompts(tmp_path / "a.sqlite")
    assert all(p.startswith("Input: ") and p.endswith("\nOutput:") for p in prompts)
    explicit = make(tiny_lm, tmp_path / "b.sqlite", endpoint="completions")
    list(explicit.complete(inputs(2)))
    assert stored_prompts(tmp_path / "b.sqlite") == prompts  # same text, the template unused


def test_settings_that_cannot_work_are_named(tiny_lm, tmp_path):
    with pytest.raises(ConfigError, match="leaves no room.*2048-token context"):
        make(tiny_lm, tmp_path / "l.sqlite", max_tokens=4000)
    with pytest.raises(ConfigError, match="cannot load the tokenizer.*teacher.transformers.model"):
        make(tmp_path, tmp_path / "l.sqlite")  # an empty folder
    with pytest.raises(ConfigError, match=r"no folder '/no/such/model' \(teacher.transformers"):
        make(Path("/no/such/model"), tmp_path / "l.sqlite")


def test_run_pipeline_with_the_transformers_teacher(tiny_lm, tmp_path, capsys):
    from pipeline_fakes import FAKE_TEACHER, tiny_config_text

    from mckd.cli.main import main
    from mckd.core.jsonl import read_jsonl

    text = tiny_config_text(tmp_path / "run").replace(
        FAKE_TEACHER,
        "teacher:\n  backend: transformers\n  transformers:\n"
        f"    model: {tiny_lm}\n    max_tokens: 8\n    batch_size: 16\n    progress_bar: false\n"
        f"    ledger: {{path: {tmp_path / 'teacher.sqlite'}}}\n    prompt: {{num_demos: 2}}\n")
    config = tmp_path / "run.yaml"
    config.write_text(text, encoding="utf-8")
    # every label is gibberish: the teacher step records them all, then training refuses
    assert main(["run", str(config), "mckd.stages=1", "baselines.vanilla_kd=false"]) == 2
    assert "all 48 training labels are invalid" in capsys.readouterr().err
    labels = list(read_jsonl(tmp_path / "run" / "teacher" / "labels.jsonl"))
    assert len(labels) == 60 and all(r["status"] == "invalid" and r["reason"] for r in labels)
    assert all(len(r["meta"]["teacher"]["demo_ids"]) == 2 for r in labels)
    assert all(r["usage"]["completion_tokens"] > 0 for r in labels)
    # batch size, device and progress bar are not inputs of the teacher step: it is kept
    assert main(["run", str(config), "mckd.stages=1", "baselines.vanilla_kd=false",
                 "teacher.transformers.batch_size=4", "teacher.transformers.device=cpu",
                 "teacher.transformers.progress_bar=true"]) == 2
    err = capsys.readouterr().err
    assert "all 48 training labels are invalid" in err and "other inputs" not in err
    # a decoding setting is: the step is named
    assert main(["run", str(config), "mckd.stages=1", "baselines.vanilla_kd=false",
                 "teacher.transformers.max_tokens=9"]) == 2
    assert "step 'teacher' finished with other inputs" in capsys.readouterr().err


def test_an_input_too_long_for_the_context_is_reported_not_generated(tiny_lm, tmp_path):
    teacher = make(tiny_lm, tmp_path / "l.sqlite", prompt={"num_demos": 3,
                                                           "context_tokens": 400})
    long_input = Example(id="long", source=" ".join(["word"] * 500))
    got = {c.id: c for c in teacher.complete([long_input, *inputs(1)])}
    assert got["long"].finish_reason == "error"
    assert "exceeds the model's 400-token context" in got["long"].meta["error"]
    assert got["u000"].finish_reason in ("stop", "length")
    assert len(got["u000"].meta["demo_ids"]) < 3  # demos dropped to fit 400 tokens
    assert teacher.describe()["usage"]["rejected"] == 1


def test_finish_reasons_and_token_counts_of_one_row(tiny_lm):
    from types import SimpleNamespace

    from mckd.teachers.local_model import LocalLM

    lm = LocalLM(str(tiny_lm))
    tok = lm.tokenizer
    lm.model = SimpleNamespace(generation_config=SimpleNamespace(eos_token_id=tok.eos_token_id))
    ids = tok("( a )\nInput: more", add_special_tokens=False)["input_ids"]
    cut = lm._result(ids, 7, max_new_tokens=len(ids), stop=["\nInput:"])
    assert (cut.text, cut.finish_reason, cut.completion_tokens) == ("( a )", "stop", len(ids))
    full = lm._result(ids, 7, max_new_tokens=len(ids), stop=[])
    assert full.finish_reason == "length" and full.prompt_tokens == 7
    ended = lm._result([*ids[:2], tok.eos_token_id, tok.pad_token_id], 7, max_new_tokens=4,
                       stop=[])
    assert ended.finish_reason == "stop" and ended.completion_tokens == 3
    padded = lm._result([*ids[:2], tok.pad_token_id, tok.pad_token_id], 7, max_new_tokens=4,
                        stop=[])  # another row of the batch ran longer
    assert padded.completion_tokens == 2 and padded.finish_reason == "stop"
