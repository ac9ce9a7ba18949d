"""``mckd predict``: a trained student labels new inputs, under the task it was trained for."""

from __future__ import annotations

import io
import json
import random

import pytest

from mckd.cli.main import main
from mckd.core.jsonl import read_jsonl

pytestmark = pytest.mark.slow  # trains a real (tiny) student

pytest.importorskip("torch")
pytest.importorskip("transformers")

WORDS = "play some jazz music by miles davis in the kitchen please".split()


@pytest.fixture(scope="module")
def slot_student(tmp_path_factory):
    """A tiny slots student whose inventory (3 types) comes from its task, not from the data."""
    from mckd.config.student import StudentConfig
    from mckd.students.seq2seq import Seq2SeqStudentBackend
    from mckd.tasks.slots.task import SlotFillingTask

    task = SlotFillingTask(slot_types=["genre", "artist", "room"])
    rng = random.Random(0)
    pairs = []
    for _ in range(24):
        words = [rng.choice(WORDS) for _ in range(rng.randint(3, 7))]
        tags = ["B-genre" if w == "jazz" else "B-room" if w == "kitchen" else "O" for w in words]
        pairs.append((" ".join(words), " ".join(tags)))
    cfg = StudentConfig(d_model=32, d_ff=64, num_heads=2, num_layers=1, num_decoder_layers=1,
                        max_epochs=2, min_epochs=2, batch_size=8, fidelity_sample=8)
    out = tmp_path_factory.mktemp("slot_student")
    Seq2SeqStudentBackend(cfg, task=task).train(pairs, out, seed=0, constraint=task.constraint("compact"))
    return out


def test_student_records_its_task_options(slot_student):
    meta = json.loads((slot_student / "mckd_student.json").read_text())
    assert meta["task"] == "slots"
    assert meta["task_options"] == {"slot_types": ["artist", "genre", "room"]}


def test_predict_restores_the_inventory_and_constrains_to_it(slot_student, tmp_path, monkeypatch, capsys):
    from mckd.pipeline.predict import load_trained_student

    trained = load_trained_student(slot_student)
    assert trained.task.slot_types == {"artist", "genre", "room"}
    monkeypatch.setattr("sys.stdin", io.StringIO("play jazz in the kitchen\n\nplay music by miles davis\n"))
    out = tmp_path / "pred.jsonl"
    assert main(["predict", str(slot_student), "-", "-o", str(out)]) == 0
    rows = list(read_jsonl(out))
    assert [r["source"] for r in rows] == ["play jazz in the kitchen", "play music by miles davis"]
    assert all(r["status"] == "valid" for r in rows)
    for row in rows:
        tags = [t for t in row["target"].split()[1::2]]  # interleaved word TAG
        assert len(tags) == len(row["source"].split())
        assert {t[2:] for t in tags if t != "O"} <= {"artist", "genre", "room"}
    assert "wrote 2 predictions" in capsys.readouterr().err  # stdout stays for the data
    monkeypatch.setattr("sys.stdin", io.StringIO("Play jazz, in the kitchen?\n"))
    assert main(["predict", str(slot_student), "-"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["source"] == "Play jazz , in the kitchen ?"  # punctuation split off
    assert row["raw"].split()[0::2] == row["source"].split()
