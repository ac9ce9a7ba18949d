"""Chunk metrics against hand-computed cases and seqeval; a wrong slot type is an error."""

from __future__ import annotations

import random

import pytest
from seqeval.metrics import f1_score, precision_score, recall_score

from mckd.config.schema import builtin_data_root
from mckd.core.records import Checked, Example, Status
from mckd.tasks.slots.formats import to_interleaved
from mckd.tasks.slots.metrics import chunk_counts, sentence_f1
from mckd.tasks.slots.task import SlotFillingTask

TASK = SlotFillingTask()


def example(words, tags, id_="s"):
    return Example(id=id_, source=words, gold=tags)


def pred(words, tags, status=Status.VALID):
    return Checked(raw="", target=to_interleaved(words.split(), tags.split()), status=status)


INVALID = Checked(raw="garbage", target=None, status=Status.INVALID, reason="empty output")


def test_a_wrong_slot_type_is_an_error():
    # the MCKD authors' function compared spans only and would score this 100
    gold = example("play queen now", "O B-artist O")
    wrong_type = pred("play queen now", "O B-album O")
    assert chunk_counts(["O", "B-artist", "O"], ["O", "B-album", "O"]).matched == 0
    scores = TASK.score([gold], [wrong_type])
    assert scores["f1"] == 0.0 and scores["exact_match"] == 0.0
    assert TASK.example_score(gold, wrong_type) == 0.0


def test_corpus_and_sentence_scores_by_hand():
    golds = [
        example("a b c d", "B-x I-x O B-y", "1"),  # 2 gold chunks
        example("e f", "O O", "2"),  # none
        example("g h i", "B-z O O", "3"),  # 1
    ]
    preds = [
        pred("a b c d", "B-x O O B-y"),  # (x,0,1) wrong end; (y,3,4) right: 1 of 2
        pred("e f", "O O", Status.REPAIRED),  # nothing to find, nothing invented: sentence 1
        INVALID,  # its gold chunk is missed
    ]
    s = TASK.score(golds, preds)
    # matched 1, gold 3, predicted 2: P = 1/2, R = 1/3, F = 0.4
    assert s["corpus_precision"] == pytest.approx(50.0)
    assert s["corpus_recall"] == pytest.approx(100 / 3)
    assert s["f1"] == s["corpus_f1"] == pytest.approx(40.0)
    # sentence F1: 0.5, 1, 0 -> mean 0.5
    assert s["sentence_f1"] == pytest.approx(50.0)
    assert s["exact_match"] == pytest.approx(100 / 3)
    assert (s["valid"], s["repaired"], s["invalid"], s["n"]) == (1, 1, 1, 3)
    assert s["validity_rate"] == pytest.approx(200 / 3)


def test_invented_slot_in_an_empty_sentence_scores_zero():
    assert sentence_f1(["O", "O"], ["B-x", "O"]) == 0.0
    assert sentence_f1(["O", "O"], ["O", "O"]) == 1.0
    assert sentence_f1(["O", "O"], None) == 0.0


def test_no_sentences_gives_zeros():
    s = TASK.score([], [])
    assert s["f1"] == 0.0 and s["n"] == 0 and s["validity_rate"] == 0.0


def test_corpus_scores_equal_seqeval_on_corrupted_demo_predictions():
    examples = TASK.load(str(builtin_data_root() / "snips_demo" / "test.jsonl"))
    rng = random.Random(3)
    types = sorted(TASK.slot_types)
    golds, preds, checked = [], [], []
    for ex in examples:
        tags = ex.gold.split()
        noisy = [rng.choice(["O", "B-" + rng.choice(types), "I-" + rng.choice(types)])
                 if rng.random() < 0.15 else t for t in tags]
        golds.append(tags)
        preds.append(noisy)
        checked.append(Checked(raw="", target=to_interleaved(ex.source.split(), noisy),
                               status=Status.VALID))
    ours = TASK.score(examples, checked)
    assert ours["f1"] == pytest.approx(100 * f1_score(golds, preds))
    assert ours["corpus_precision"] == pytest.approx(100 * precision_score(golds, preds))
    assert ours["corpus_recall"] == pytest.approx(100 * recall_score(golds, preds))
    assert 0 < ours["f1"] < 100


def test_scores_are_additive_over_parts():
    from mckd.tasks.slots.metrics import score_one

    cases = [("a b c", "B-a I-a O", "B-a I-a O"), ("a b", "O B-b", "O B-a"),
             ("a b c", "B-a O B-c", "B-a O O")]
    parts = [score_one(src, g.split(), pred(src, p)) for src, g, p in cases]
    total = sum(parts[1:], parts[0])
    assert (total.counts.matched, total.counts.gold, total.counts.pred) == (2, 4, 3)
    assert total.to_dict() == TASK.score([example(src, g) for src, g, _ in cases],
                                         [pred(src, p) for src, _, p in cases])


def test_agreement_compares_against_a_reference_target():
    ref = "a O b B-x c I-x"
    assert TASK.agreement("a b c", ref, pred("a b c", "O B-x I-x")) == 1.0
    assert TASK.agreement("a b c", ref, pred("a b c", "O B-y I-y")) == 0.0
    assert TASK.agreement("a b c", ref, INVALID) == 0.0
