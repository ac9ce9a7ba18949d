"""The whole method with the tagger student (tiny random BERT encoder, frozen and cached)."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest
from pipeline_fakes import tiny_config

from mckd.core.jsonl import read_jsonl
from mckd.pipeline.predict import load_trained_student, predict_records
from mckd.pipeline.run import run_pipeline

pytest.importorskip("torch")
pytest.importorskip("transformers")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "prompting"))

from tiny_bert_encoder import build_tiny_bert  # noqa: E402

pytestmark = pytest.mark.slow  # trains real tagger students

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "pipeline_tiny"


def tagger_overrides(encoder: Path, cache: Path) -> list[str]:
    return ["student.backend=tagger", f"student.tagger.encoder={encoder}",
            f"student.tagger.feature_cache={cache}", "student.tagger.lstm_hidden=16",
            "student.tagger.lstm_layers=1", "student.max_epochs=2", "student.min_epochs=2",
            "student.batch_size=8", "student.fidelity_sample=8"]


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> Path:
    words = {w.lower() for f in TINY.glob("*.jsonl") for row in read_jsonl(f)
             for w in row["source"].split()}
    return build_tiny_bert(tmp_path_factory.mktemp("enc") / "bert", sorted(words)[:300])


@pytest.fixture(scope="module")
def tagger_run(encoder, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tagger_run")
    config = tiny_config(tmp, *tagger_overrides(encoder, tmp / "features.sqlite"),
                         "mckd.stages=2", "baselines.kd_sd_filter=true")
    return run_pipeline(config), config, tmp


def test_every_method_is_scored_and_every_output_is_well_formed(tagger_run):
    result, _, _ = tagger_run
    methods = result.metrics["methods"]
    assert set(methods) == {"teacher", "mckd", "vanilla_kd", "kd_sd_filter"}
    for name in ("mckd", "vanilla_kd", "kd_sd_filter"):
        assert methods[name]["n"] == 12 and methods[name]["validity_rate"] == 100.0
    relabels = list(read_jsonl(result.run_dir / "stage_1" / "A" / "relabels.jsonl"))
    assert len(relabels) == 24 and all(r["status"] == "valid" for r in relabels)


def test_features_are_encoded_once_for_the_whole_run(tagger_run):
    result, _, tmp = tagger_run
    rows = sqlite3.connect(tmp / "features.sqlite").execute("SELECT COUNT(*) FROM features")
    # 48 unlabeled + 12 test inputs, each encoded once though five students read them
    assert rows.fetchone()[0] == 60
    assert "features.sqlite" not in {p.name for p in result.run_dir.rglob("*")}


def test_the_run_resumes_with_nothing_to_do_and_the_cache_path_is_runtime_only(tagger_run, tmp_path):
    from mckd.config.loading import load_config

    result, config, tmp = tagger_run
    assert run_pipeline(config).ran == []
    moved = load_config(tmp / "run.yaml", [*tagger_overrides(
        Path(config.student.tagger.encoder), tmp_path / "elsewhere.sqlite"), "mckd.stages=2",
        "baselines.kd_sd_filter=true"])
    assert run_pipeline(moved).ran == []


def test_predict_loads_the_final_tagger_and_labels_new_text(tagger_run):
    result, _, _ = tagger_run
    trained = load_trained_student(result.run_dir / "final")
    rows = [{"id": "x", "source": "The cells were stained with antibodies ."}]
    out = predict_records(trained, rows)
    assert out[0]["status"] == "valid" and out[0]["target"].count("(") >= 2
    meta = json.loads((result.run_dir / "final" / "mckd_student.json").read_text())
    assert meta["task"] == "constituency" and meta["target_format"] == "compact"


def test_predict_on_plain_text_tokenizes_like_the_data_and_shows_words_in_raw(tagger_run,
                                                                             tmp_path, capsys):
    from mckd.cli.main import main

    result, _, _ = tagger_run
    text = tmp_path / "in.txt"
    text.write_text("The cells weren't stained in the retina.\n", encoding="utf-8")
    assert main(["predict", str(result.run_dir / "final"), str(text)]) == 0
    captured = capsys.readouterr()
    row = json.loads(captured.out)
    assert row["source"] == "The cells were n't stained in the retina ."  # PTB-style
    words, symbols = row["raw"].split()[0::2], row["raw"].split()[1::2]
    assert words == row["source"].split() and len(symbols) == len(words)
    assert row["status"] == "valid" and "predict" not in captured.err  # no bar for one line
    assert main(["predict", str(result.run_dir / "final"), str(text), "--pretokenized"]) == 0
    assert json.loads(capsys.readouterr().out)["source"] == "The cells weren't stained in the retina."


def test_parallel_steps_give_the_same_relabels(tagger_run, encoder, tmp_path):
    result, _, tmp = tagger_run
    config = tiny_config(tmp_path, *tagger_overrides(encoder, tmp_path / "f.sqlite"),
                         "mckd.stages=2", "baselines.kd_sd_filter=true", "student.parallel_steps=2")
    parallel = run_pipeline(config)
    for path in ("stage_1/A/relabels.jsonl", "stage_1/B/relabels.jsonl",
                 "final/predictions.jsonl"):
        assert (list(read_jsonl(parallel.run_dir / path))
                == list(read_jsonl(result.run_dir / path))), path


def test_a_student_stopped_mid_training_resumes_from_its_last_epoch(tagger_run, encoder,
                                                                    tmp_path, monkeypatch, caplog):
    """stage_1/A stops after its first epoch's state is saved; the rerun continues with epoch 2
    and every student equals the uninterrupted run's byte for byte; no epoch state is left."""
    from mckd.students import epoch_state

    reference, _, _ = tagger_run
    config = tiny_config(tmp_path, *tagger_overrides(encoder, tmp_path / "features.sqlite"),
                         "mckd.stages=2", "baselines.kd_sd_filter=true")
    save = epoch_state.save

    def save_then_stop(path, state):
        save(path, state)
        raise RuntimeError("stopped after epoch 1")

    monkeypatch.setattr(epoch_state, "save", save_then_stop)
    with pytest.raises(RuntimeError, match="stopped after epoch 1"):
        run_pipeline(config)
    monkeypatch.undo()
    run_dir = Path(config.output_dir)
    assert [p.name for p in (run_dir / "stage_1").glob("A.partial-*")] != []
    with caplog.at_level("INFO", logger="mckd"):
        result = run_pipeline(config)
    assert "stage_1/A: resuming from epoch 2/2 (epochs 1-1 restored" in caplog.text
    assert result.ran[0] == "stage_1/A"
    for student in ("stage_1/A", "stage_1/B", "final", "vanilla_kd", "kd_sd_filter"):
        assert ((result.run_dir / student / "head.safetensors").read_bytes()
                == (reference.run_dir / student / "head.safetensors").read_bytes()), student
    assert list(result.run_dir.rglob("*.partial-*")) == []
