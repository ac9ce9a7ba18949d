"""A training interrupted after epoch k resumes from its saved epoch state and ends with the
same weights, byte for byte, as an uninterrupted one (both backends, dropout on)."""

from __future__ import annotations

import filecmp
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "prompting"))

from test_student_seq2seq import random_pairs, tiny_config
from test_student_tagger import CONSTRAINT, slot_pairs
from test_student_tagger import config as tagger_config
from tiny_bert_encoder import build_tiny_bert

from mckd.students.seq2seq import Seq2SeqStudentBackend
from mckd.students.tagger import HEAD_FILE, TaggerStudentBackend
from mckd.tasks.constituency.compact import CompactConstraint

pytestmark = pytest.mark.slow  # trains real (tiny) students three times each


class Interrupted(Exception):
    pass


def scores(values: list[float], *, first_epoch: int = 1, fail_at: int | None = None):
    """A fidelity function returning ``values[epoch - 1]`` (one call per epoch), raising at
    epoch ``fail_at`` as a kill would stop the run there."""
    epoch = first_epoch - 1

    def fidelity(sources, references, outputs):
        nonlocal epoch
        epoch += 1
        if epoch == fail_at:
            raise Interrupted(f"epoch {epoch}")
        return values[epoch - 1]

    return fidelity


def interrupted_then_resumed(train, tmp_path: Path, values: list[float], fail_at: int):
    """(uninterrupted summary, resumed summary); the students are in tmp_path/whole and
    tmp_path/resumed."""
    whole = train(tmp_path / "whole", scores(values), None)
    state = tmp_path / "resumed.partial.pt"
    with pytest.raises(Interrupted):
        train(tmp_path / "resumed", scores(values, fail_at=fail_at), state)
    assert state.exists()
    resumed = train(tmp_path / "resumed", scores(values, first_epoch=fail_at), state)
    return whole, resumed


def same_history(a: dict, b: dict) -> None:
    keys = ("epoch", "loss", "score", "lr")
    assert [{k: row[k] for k in keys} for row in a["history"]] == \
        [{k: row[k] for k in keys} for row in b["history"]]
    assert (a["kept_epoch"], a["stop_reason"]) == (b["kept_epoch"], b["stop_reason"])


def test_seq2seq_student_resumes_to_the_same_weights(tmp_path, caplog):
    cfg = tiny_config(max_epochs=5, min_epochs=5, dropout=0.2, warmup_ratio=0.2)
    pairs = random_pairs(30)

    def train(out, fidelity, state):
        return Seq2SeqStudentBackend(cfg).train(pairs, out, seed=4, constraint=CompactConstraint(),
                                                fidelity_fn=fidelity, state_path=state)

    with caplog.at_level("INFO", logger="mckd.students"):
        whole, resumed = interrupted_then_resumed(train, tmp_path, [10, 20, 30, 40, 50], fail_at=4)
    assert "student resumed: resuming from epoch 4/5 (epochs 1-3 restored" in caplog.text
    same_history(whole, resumed)
    assert filecmp.cmp(tmp_path / "whole/model.safetensors",
                       tmp_path / "resumed/model.safetensors", shallow=False)


def test_tagger_student_resumes_to_the_same_weights_and_keeps_the_best_epoch(tmp_path, caplog):
    encoder = build_tiny_bert(tmp_path / "bert", ["fly", "from", "to", "on", "flights", "please"]
                              + ["boston", "denver", "paris", "rome", "monday", "friday", "sunday"])
    cfg = tagger_config(encoder, tmp_path / "features.sqlite", max_epochs=6, min_epochs=6,
                        dropout=0.3)

    def train(out, fidelity, state):
        return TaggerStudentBackend(cfg).train(slot_pairs(), out, seed=2, constraint=CONSTRAINT,
                                               fidelity_fn=fidelity, state_path=state)

    # the best epoch (3) is over before the interruption: its weights come from the saved state
    with caplog.at_level("INFO", logger="mckd.students"):
        whole, resumed = interrupted_then_resumed(train, tmp_path, [10, 20, 60, 30, 40, 50],
                                                  fail_at=5)
    assert "resumed: resuming from epoch 5/6" in caplog.text
    assert whole["kept_epoch"] == 3
    same_history(whole, resumed)
    assert filecmp.cmp(tmp_path / "whole" / HEAD_FILE, tmp_path / "resumed" / HEAD_FILE,
                       shallow=False)
