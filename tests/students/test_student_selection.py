"""The checkpoint rule: stop on a fidelity plateau, keep the best epoch, prefer dev when given."""

from __future__ import annotations

import random

import pytest

from mckd.config.student import StudentConfig
from mckd.students.selection import CheckpointRule

pytestmark = pytest.mark.slow  # trains real (tiny) students


def run_rule(scores, **kw) -> CheckpointRule:
    rule = CheckpointRule(**{"delta": 0.1, "patience": 3, "min_epochs": 1, "max_epochs": 20, **kw})
    for score in scores:
        if rule.update(score):
            break
    return rule


def test_stops_when_score_flat_over_patience_epochs():
    rule = run_rule([10, 30, 50, 50.05, 50.1, 50.0, 70])
    assert len(rule.scores) == 6  # epochs 3-6 span 0.1 <= delta
    assert rule.best_epoch == 5 and "moved 0.100" in rule.stop_reason


def test_keeps_training_while_score_moves():
    rule = run_rule([10, 30, 50, 50.2, 50.0, 50.3, 50.1, 50.2, 50.2], max_epochs=9)
    assert len(rule.scores) == 9 and rule.stop_reason.startswith("reached max_epochs")


def test_min_epochs_and_ties():
    rule = run_rule([5, 5, 5, 5, 5, 5], min_epochs=5)
    assert len(rule.scores) == 5
    assert rule.best_epoch == 5  # ties go to the later epoch


def test_no_scores_trains_max_epochs_and_keeps_last():
    rule = run_rule([None] * 30, max_epochs=4)
    assert len(rule.scores) == 4 and rule.best_epoch == 4
    assert "last epoch" in rule.keep_reason()


def test_best_epoch_is_kept_not_the_last():
    rule = run_rule([40, 60, 55, 55, 55.05, 55.0])
    assert rule.best_epoch == 2 and "60.00" in rule.keep_reason()


def test_training_stops_on_plateau_and_restores_best_weights(tmp_path):
    pytest.importorskip("torch")
    from transformers import AutoModelForSeq2SeqLM

    from mckd.students.seq2seq import Seq2SeqStudentBackend

    rng = random.Random(0)
    pairs = [(" ".join(rng.choice("abcdef") for _ in range(4)), "(X (X (X X)))") for _ in range(12)]
    fake = iter([20.0, 80.0, 50.0, 50.05, 50.0, 50.1, 99.0, 99.0])
    calls = []

    def fidelity(sources, references, outputs):
        calls.append(len(outputs))
        return next(fake)

    cfg = StudentConfig(d_model=16, d_ff=32, num_heads=2, num_layers=1, num_decoder_layers=1,
                        max_epochs=8, min_epochs=1, fidelity_sample=5, batch_size=4)
    summary = Seq2SeqStudentBackend(cfg).train(pairs, tmp_path, seed=0, fidelity_fn=fidelity)
    assert summary["epochs_run"] == 6 and calls == [5] * 6
    assert summary["kept_epoch"] == 2 and summary["selection"] == "fidelity"
    assert [h["score"] for h in summary["history"]][:2] == [20.0, 80.0]

    # the saved weights are epoch 2's: retrain 2 epochs with the same seed and compare
    cfg2 = cfg.model_copy(update={"max_epochs": 8, "min_epochs": 1})
    fake2 = iter([20.0, 80.0, 0.0, 0.0, 0.0, 0.0])
    Seq2SeqStudentBackend(cfg2).train(pairs, tmp_path / "again", seed=0,
                                      fidelity_fn=lambda s, r, o: next(fake2))
    a = AutoModelForSeq2SeqLM.from_pretrained(tmp_path).state_dict()
    b = AutoModelForSeq2SeqLM.from_pretrained(tmp_path / "again").state_dict()
    assert all((a[k] == b[k]).all() for k in a)


def test_dev_pairs_drive_selection_when_asked(tmp_path):
    pytest.importorskip("torch")
    from mckd.students.seq2seq import Seq2SeqStudentBackend

    pairs = [("a b c", "(X X X)")] * 6
    dev = [("b c", "(X X)")] * 3
    seen = []
    cfg = StudentConfig(d_model=16, d_ff=32, num_heads=2, num_layers=1, num_decoder_layers=1,
                        max_epochs=2, min_epochs=1, fidelity_sample=4, batch_size=4)

    def fidelity(sources, references, outputs):
        seen.append(list(sources))
        return 1.0

    summary = Seq2SeqStudentBackend(cfg).train(pairs, tmp_path, seed=0, fidelity_fn=fidelity, dev=dev)
    assert summary["selection"] == "dev" and seen[0] == ["b c"] * 3
    cfg_no = cfg.model_copy(update={"select_on_dev": False})
    seen.clear()
    Seq2SeqStudentBackend(cfg_no).train(pairs, tmp_path / "b", seed=0, fidelity_fn=fidelity, dev=dev)
    assert seen[0] == ["a b c"] * 4
