"""TOP metrics against hand-computed cases; invalid predictions count, never dropped."""

from __future__ import annotations

import pytest

from mckd.core.records import Checked, Example, Status
from mckd.tasks.top.task import TopTask

TASK = TopTask()
SRC = "How far is my mom 's house"
GOLD = ("[IN:GET_DISTANCE How far is [SL:DESTINATION [IN:GET_LOCATION_HOME my "
        "[SL:CONTACT mom ] 's house ] ] ]")


def pred(tree, status=Status.VALID):
    return Checked(raw=tree, target=tree, status=status)


INVALID = Checked(raw="?", target=None, status=Status.INVALID, reason="empty output")


def test_scores_by_hand():
    golds = [Example(id="1", source=SRC, gold=GOLD),
             Example(id="2", source="hi there", gold="[IN:GREET hi [SL:WHO there ] ]")]
    # 4 gold brackets; the prediction gets the root, the destination slot and the contact
    # slot's span right but labels the nested intent wrongly: 3 of 4 correct each way
    wrong_label = GOLD.replace("IN:GET_LOCATION_HOME", "IN:GET_LOCATION")
    s = TASK.score(golds, [pred(wrong_label, Status.REPAIRED), INVALID])
    # matched 3, gold 4 + 2 = 6, predicted 4
    assert s["corpus_precision"] == pytest.approx(75.0)
    assert s["corpus_recall"] == pytest.approx(50.0)
    assert s["f1"] == s["corpus_f1"] == pytest.approx(60.0)
    assert s["sentence_f1"] == pytest.approx(100 * (0.75 + 0) / 2)
    assert s["exact_match"] == 0.0
    assert (s["valid"], s["repaired"], s["invalid"], s["validity_rate"]) == (0, 1, 1, 50.0)


def test_a_wrong_span_is_an_error_and_exact_match_needs_everything():
    gold = Example(id="1", source="a b c", gold="[IN:A a [SL:B b ] c ]")
    assert TASK.example_score(gold, pred("[IN:A a [SL:B b c ] ]")) == pytest.approx(0.5)
    assert TASK.score([gold], [pred("[IN:A a [SL:B b ] c ]")])["exact_match"] == 100.0


def test_agreement_uses_the_reference_tree():
    ref = "[IN:A a [SL:B b ] c ]"
    assert TASK.agreement("a b c", ref, pred(ref)) == 1.0
    assert TASK.agreement("a b c", ref, INVALID) == 0.0
