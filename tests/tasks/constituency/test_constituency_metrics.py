"""Metrics against hand-computed values.

Running example (words 0-5 without the period):
    gold (S (NP The dog) (VP barked (PP at (NP the cat))) .)
    spans over >= 2 words: S(0,6) NP(0,2) VP(2,6) PP(3,6) NP(4,6)
"""

from __future__ import annotations

import pytest
from nltk import Tree

from mckd.core.records import Checked, Status
from mckd.tasks.constituency.check import check_labeled, check_paper
from mckd.tasks.constituency.linearize import from_labeled, from_paper, to_paper
from mckd.tasks.constituency.metrics import (
    PUNCT_TAGS,
    SpanCounts,
    align_to_gold,
    evalb_counts,
    paper_sentence_f1,
    score_parses,
)

GOLD = Tree.fromstring(
    "(S (NP (DT The) (NN dog)) (VP (VBD barked) (PP (IN at) (NP (DT the) (NN cat)))) (. .))")
SOURCE = "The dog barked at the cat ."
RIGHT_BRANCHING = "( ( The ) ( ( dog ) ( ( barked ) ( ( at ) ( ( the ) ( ( cat ) ( . ) ) ) ) ) ) )"
FLAT = "( ( The ) ( dog ) ( barked ) ( at ) ( the ) ( cat ) ( . ) )"
# PP attached low, "barked at" grouped: spans S(0,6) NP(0,2) VP(2,6) (2,4) NP(4,6)
WRONG_ATTACHMENT = "( ( ( The ) ( dog ) ) ( ( ( barked ) ( at ) ) ( ( the ) ( cat ) ) ) ( . ) )"
SECOND_GOLD = Tree.fromstring("(S (NP (PRP It)) (VP (VBZ is) (ADJP (RB very) (JJ clear))) (. .))")


def valid(target: str) -> Checked:
    return Checked(raw=target, target=target, status=Status.VALID)


INVALID = Checked(raw="garbage", target=None, status=Status.INVALID, reason="empty output")


def test_span_counts_add_and_define_zero_cases():
    total = SpanCounts(1, 2, 2) + SpanCounts(1, 2, 0)
    assert total == SpanCounts(2, 4, 2)
    assert (total.precision, total.recall) == (1.0, 0.5)
    assert total.f1 == pytest.approx(2 / 3)
    assert (SpanCounts().precision, SpanCounts().recall, SpanCounts().f1) == (0.0, 0.0, 0.0)
    nothing_predicted = SpanCounts(0, 3, 0)
    assert (nothing_predicted.precision, nothing_predicted.f1) == (0.0, 0.0)


@pytest.mark.parametrize(
    "prediction, expected",
    [
        (to_paper(GOLD), 1.0),
        (RIGHT_BRANCHING, 0.8),  # P 4/5 R 4/5: only (1,6) is wrong
        (FLAT, 1 / 3),  # P 1/1 R 1/5
        (WRONG_ATTACHMENT, 0.8),  # P 4/5 R 4/5
        ("( ( ( The ) ( dog ) ) ( ( barked ) ( ( at ) ( ( the ) ( cat ) ) ) ) )", 1.0),  # no "."
        ("( ( ( ( The ) ( dog ) ) ) ( ( barked ) ( ( ( at ) ( ( the ) ( cat ) ) ) ) ) ( . ) )", 1.0),
    ],
)
def test_paper_sentence_f1_hand_computed(prediction, expected):
    assert paper_sentence_f1(GOLD, from_paper(prediction)) == pytest.approx(expected)


def test_invalid_prediction_scores_zero():
    assert paper_sentence_f1(GOLD, None) == 0.0


def test_one_word_gold_scores_one_for_any_valid_prediction():
    heading = Tree.fromstring("(HEADING (NP (NN Abstract)))")
    assert paper_sentence_f1(heading, from_paper("( Abstract )")) == 1.0
    assert paper_sentence_f1(heading, None) == 0.0


def test_paper_and_evalb_punctuation_sets_differ():
    # HYPH is punctuation for the paper metric, a word for EVALB (COLLINS.prm)
    assert "HYPH" in PUNCT_TAGS
    gold = Tree.fromstring("(S (NP (NN IL) (HYPH -) (CD 2)) (VP (VBZ binds)))")
    pred = from_paper("( ( ( IL ) ( - ) ) ( 2 ) ( binds ) )")
    # paper: gold {(0,2) (0,3)} over "IL 2 binds"; pred {(0,3)} ("IL -" is one word) -> 2/3
    assert paper_sentence_f1(gold, pred) == pytest.approx(2 / 3)
    # evalb: gold {(0,3) (0,4)}; pred {(0,2) (0,4)}
    assert evalb_counts(gold, pred) == SpanCounts(1, 2, 2)


def test_agreement_style_f1_without_punctuation_removal():
    # the period stays a word: gold (0,7) (0,2) (2,6) (3,6) (4,6); pred (0,7) (1,7) ... (5,7)
    # share only (0,7): P 1/6, R 1/5, F1 2/11
    assert paper_sentence_f1(GOLD, from_paper(RIGHT_BRANCHING), punct_tags=()) == pytest.approx(
        2 / 11)


def test_align_to_gold_maps_missing_extra_and_changed_words():
    assert align_to_gold(["a", "b", "c"], ["a", "c"]) == [0, 2]
    assert align_to_gold(["a", "b", "c"], ["a", "x", "b", "c"]) == [0, None, 1, 2]
    assert align_to_gold(["a", "b", "c"], ["a", "B", "c"]) == [0, 1, 2]
    assert align_to_gold(["a", "(", "c"], ["a", "-LRB-", "c"]) == [0, 1, 2]


def test_evalb_corpus_counts_sum_over_sentences():
    preds = [valid(RIGHT_BRANCHING), valid("( ( It ) ( is ) ( very ) ( clear ) ( . ) )")]
    # sentence 1: 4 matched / 5 gold / 5 pred; sentence 2: gold S(0,4) VP(1,4) ADJP(2,4),
    # pred (0,4) only -> 1 / 3 / 1. Sum 5 / 8 / 6.
    assert evalb_counts(GOLD, from_paper(preds[0].target)) == SpanCounts(4, 5, 5)
    assert evalb_counts(SECOND_GOLD, from_paper(preds[1].target)) == SpanCounts(1, 3, 1)
    scores = score_parses([GOLD, SECOND_GOLD], preds)
    assert scores["corpus_precision"] == pytest.approx(100 * 5 / 6)
    assert scores["corpus_recall"] == pytest.approx(100 * 5 / 8)
    assert scores["corpus_f1"] == pytest.approx(100 * 5 / 7)
    # paper metric: mean of 0.8 and (P 1, R 1/3 -> 0.5)
    assert scores["f1"] == pytest.approx(65.0)
    assert scores["labeled_corpus_f1"] is None  # paper form carries no labels


def test_labeled_and_unlabeled_scores_of_a_wrong_label():
    pred = check_labeled(SOURCE, "(S (NP The dog ) (VP barked (PP at (ADJP the cat ) ) ) . )")
    scores = score_parses([GOLD], [pred])
    assert scores["corpus_f1"] == 100.0 and scores["f1"] == 100.0
    assert scores["labeled_corpus_precision"] == pytest.approx(80.0)
    assert scores["labeled_corpus_recall"] == pytest.approx(80.0)


def test_advp_and_prt_are_the_same_label():
    gold = Tree.fromstring("(S (NP (PRP He)) (VP (VBD gave) (PRT (RP up))) (. .))")
    assert evalb_counts(gold, from_labeled("(S (NP He ) (VP gave (ADVP up ) ) . )"),
                        labeled=True) == SpanCounts(4, 4, 4)
    assert evalb_counts(gold, from_labeled("(S (NP He ) (VP gave (NP up ) ) . )"),
                        labeled=True) == SpanCounts(3, 4, 4)


def test_labeled_counts_keep_unary_chains_with_multiplicity():
    gold = Tree.fromstring("(S (VP (VB Go) (ADVP (RB away))))")
    assert evalb_counts(gold, from_labeled("(VP Go (ADVP away ) )"),
                        labeled=True) == SpanCounts(2, 3, 2)
    # unlabeled: distinct spans of >= 2 words, so the S/VP chain is one span
    assert evalb_counts(gold, from_labeled("(VP Go (ADVP away ) )")) == SpanCounts(1, 1, 1)


def test_invalid_predictions_stay_in_every_denominator():
    scores = score_parses([GOLD, SECOND_GOLD], [valid(to_paper(GOLD)), INVALID])
    assert scores["f1"] == 50.0
    assert scores["corpus_recall"] == pytest.approx(100 * 5 / 8)
    assert scores["corpus_precision"] == 100.0
    assert (scores["valid"], scores["repaired"], scores["invalid"], scores["n"]) == (1, 0, 1, 2)
    assert scores["validity_rate"] == 50.0 and scores["exact_match"] == 50.0


def test_missing_period_scores_full_f1_but_no_exact_match():
    no_period = "( ( ( The ) ( dog ) ) ( ( barked ) ( ( at ) ( ( the ) ( cat ) ) ) ) )"
    scores = score_parses([GOLD], [valid(no_period)])
    assert scores["f1"] == 100.0 and scores["exact_match"] == 0.0
    repaired = check_paper(SOURCE, no_period)  # the check inserts the period at the root
    scores = score_parses([GOLD], [repaired])
    assert scores["exact_match"] == 100.0
    assert (scores["valid"], scores["repaired"], scores["validity_rate"]) == (0, 1, 100.0)


def test_score_parses_rejects_length_mismatch_and_handles_empty():
    with pytest.raises(ValueError, match="1 gold trees but 0 predictions"):
        score_parses([GOLD], [])
    empty = score_parses([], [])
    assert empty["n"] == 0 and empty["f1"] == 0.0 and empty["corpus_f1"] == 0.0
