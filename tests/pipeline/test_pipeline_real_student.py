"""The whole method end to end with a tiny real seq2seq student on CPU, tracked in TensorBoard."""

from __future__ import annotations

import json

import pytest
from pipeline_fakes import tiny_config

from mckd.core.jsonl import read_jsonl
from mckd.pipeline.run import run_pipeline

pytestmark = pytest.mark.slow  # trains real (tiny) seq2seq students

pytest.importorskip("torch")
pytest.importorskip("transformers")

TINY_STUDENT = [
    "student.backend=seq2seq", "student.d_model=32", "student.d_ff=64", "student.num_heads=2",
    "student.num_layers=1", "student.num_decoder_layers=1", "student.max_epochs=2",
    "student.min_epochs=2", "student.batch_size=8", "student.fidelity_sample=8",
]


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("real_student")
    config = tiny_config(tmp, *TINY_STUDENT, "mckd.stages=2", "tracking.trackers=[tensorboard]")
    return run_pipeline(config)


def test_every_method_is_scored_and_every_student_output_is_well_formed(real_run):
    methods = real_run.metrics["methods"]
    assert set(methods) == {"teacher", "mckd", "vanilla_kd"}
    for name in ("mckd", "vanilla_kd"):
        assert methods[name]["n"] == 12
        assert methods[name]["validity_rate"] == 100.0  # constrained decoding
        assert 0.0 <= methods[name]["f1"] <= 100.0
    preds = list(read_jsonl(real_run.run_dir / "final" / "predictions.jsonl"))
    assert len(preds) == 12 and all(p["status"] == "valid" for p in preds)
    meta = json.loads((real_run.run_dir / "final" / "mckd_student.json").read_text())
    assert meta["student"]["interleave_words"] is True
    assert [h["epoch"] for h in meta["summary"]["history"]] == [1, 2]


def test_final_student_loads_with_plain_transformers(real_run):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    folder = real_run.run_dir / "final"
    model = AutoModelForSeq2SeqLM.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    ids = model.generate(**tokenizer(["the cells were stained ."], return_tensors="pt"),
                         max_new_tokens=12)
    assert isinstance(tokenizer.decode(ids[0], skip_special_tokens=True), str)


def test_tensorboard_gets_epochs_steps_and_test_scores(real_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    runs = list((real_run.run_dir / "tracking").iterdir())
    assert len(runs) == 1
    events = EventAccumulator(str(runs[0]))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"final/loss", "final/fidelity", "stage_1/A/loss", "teacher/unlabeled.valid",
            "test/teacher/f1", "test/mckd/f1"} <= tags
    assert [e.step for e in events.Scalars("final/loss")] == [1, 2]
    teacher_f1 = events.Scalars("test/teacher/f1")[0].value
    assert teacher_f1 == pytest.approx(real_run.metrics["methods"]["teacher"]["f1"], abs=1e-3)


def test_kd_sd_filter_and_heldout_curves_with_a_real_student(tmp_path):
    """The seq2seq student serves the two analyses that need more than generate()."""
    config = tiny_config(tmp_path, *TINY_STUDENT, "mckd.stages=1", "baselines.kd_sd_filter=true",
                         "analyses.heldout_curves=true", "analyses.heldout_examples=6")
    result = run_pipeline(config)
    assert result.metrics["methods"]["kd_sd_filter"]["validity_rate"] == 100.0
    relabels = list(read_jsonl(result.run_dir / "kd_sd_filter" / "relabels.jsonl"))
    assert len(relabels) == 48 and sum(r["kept"] for r in relabels) == 24
    scores = [r["meta"]["mean_logprob"] for r in relabels]
    assert all(s < 0 for s in scores) and len(set(scores)) > 1
    kept = min(r["meta"]["mean_logprob"] for r in relabels if r["kept"])
    assert kept >= max(r["meta"]["mean_logprob"] for r in relabels if not r["kept"])
    steps = json.loads((result.run_dir / "manifest.json").read_text())["steps"]
    history = steps["final"]["info"]["training"]["history"]
    assert [h["epoch"] for h in history] == [1, 2]
    assert all(0 <= h["heldout"] <= 100 for h in history)


def test_parallel_student_steps_give_the_same_run(real_run, tmp_path):
    """student.parallel_steps=2: stage students (and vanilla KD) train in two processes at once;
    every student, relabel and score equals the one-at-a-time run's."""
    config = tiny_config(tmp_path, *TINY_STUDENT, "mckd.stages=2", "student.parallel_steps=2")
    result = run_pipeline(config)
    assert result.ran == real_run.ran
    for method in ("teacher", "mckd", "vanilla_kd"):
        assert result.metrics["methods"][method]["f1"] == real_run.metrics["methods"][method]["f1"]
    for path in ("stage_1/A/relabels.jsonl", "stage_1/B/relabels.jsonl",
                 "final/predictions.jsonl", "vanilla_kd/predictions.jsonl"):
        assert (list(read_jsonl(result.run_dir / path))
                == list(read_jsonl(real_run.run_dir / path))), path
    steps = json.loads((result.run_dir / "manifest.json").read_text())["steps"]
    assert all(s["status"] == "done" for s in steps.values())
    # stage_1/A and B ran at the same time: each started before the other finished
    a, b = steps["stage_1/A"], steps["stage_1/B"]
    assert a["started"] < b["finished"] and b["started"] < a["finished"]
    log = (result.run_dir / "run.log").read_text()  # the children's lines land there too
    assert "student stage_1/B epoch 2/" in log and "stage_1/A: relabeled part B" in log
    assert run_pipeline(config).ran == []  # and it resumes like any run
