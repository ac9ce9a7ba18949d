"""Systematic rules: hand-computed rewrites, and consistency when all errors are systematic."""

from __future__ import annotations

import pytest
from nltk import Tree
from simulated_support import TASK, load_examples

from mckd.config.teacher import SimulatedTeacherConfig
from mckd.core.records import Example
from mckd.tasks.constituency.linearize import to_paper
from mckd.tasks.constituency.metrics import PUNCT_TAGS
from mckd.teachers.simulated import SimulatedTeacher
from mckd.teachers.simulation.constituency.rules import apply_rules
from mckd.teachers.simulation.constituency.tree import from_nltk, to_nltk

NO_DAMAGE = {"word_error_rate": 0.0, "malformed_rate": 0.0, "truncated_rate": 0.0,
             "loose_format_rate": 0.0, "calibration_size": 100}


@pytest.fixture(scope="module")
def examples():
    return load_examples()


def rewrite(tree: str, *rules: str) -> str:
    root, sent = from_nltk(Tree.fromstring(tree), PUNCT_TAGS)
    apply_rules(root, sent, rules)
    return to_paper(to_nltk(root, sent))


@pytest.mark.parametrize(("rule", "tree", "expected"), [
    ("flatten_base_np",
     "(S (NP (DT The) (NN dog)) (VP (VBD saw) (NP (DT a) (NN cat))) (. .))",
     "( ( The ) ( dog ) ( ( saw ) ( a ) ( cat ) ) ( . ) )"),
    ("right_branch_base_np",
     "(S (NP (DT the) (JJ big) (JJ brown) (NN dog)) (VP (VBD barked)))",
     "( ( ( the ) ( ( big ) ( ( brown ) ( dog ) ) ) ) ( barked ) )"),
    ("determiner_outside",
     "(S (NP (DT The) (JJ big) (NN dog)) (VP (VBD barked)))",
     "( ( The ) ( ( big ) ( dog ) ) ( barked ) )"),
    ("pp_low",
     ("(S (NP (PRP I)) (VP (VBD saw) (NP (DT the) (NN man)) (PP (IN with) (NP (DT a) "
      "(NN telescope)))) (. .))"),
     "( ( I ) ( ( saw ) ( ( the ) ( man ) ( ( with ) ( ( a ) ( telescope ) ) ) ) ) ( . ) )"),
    ("pp_high",
     ("(S (NP (PRP I)) (VP (VBD read) (NP (NP (DT the) (NNS effects)) (PP (IN of) "
      "(NP (NNS drugs))))) (. .))"),
     "( ( I ) ( ( read ) ( ( the ) ( effects ) ) ( ( of ) ( drugs ) ) ) ( . ) )"),
    ("coordination_scope",
     "(NP (NP (JJ genetic) (NNS factors)) (CC and) (NP (NNS mice)))",
     "( ( genetic ) ( ( factors ) ( and ) ( mice ) ) )"),
    ("flatten_coordination",
     "(NP (NP (JJ genetic) (NNS factors)) (CC and) (NP (JJ other) (NNS mammals)))",
     "( ( genetic ) ( factors ) ( and ) ( other ) ( mammals ) )"),
    ("merge_verb_chain",
     "(S (NP (PRP It)) (VP (VBZ is) (VP (VBN known) (PP (IN in) (NP (NNS mice))))))",
     "( ( It ) ( ( is ) ( known ) ( ( in ) ( mice ) ) ) )"),
    ("flatten_sbar",
     "(VP (VBD said) (SBAR (IN that) (S (NP (PRP it)) (VP (VBD rained)))))",
     "( ( said ) ( ( that ) ( it ) ( rained ) ) )"),
    ("flatten_modifiers",
     "(NP (ADJP (RB genetically) (JJ distinct)) (NNS mice))",
     "( ( genetically ) ( distinct ) ( mice ) )"),
    ("flatten_parentheticals",
     "(NP (NP (NN pressure)) (PRN (-LRB- -LRB-) (NN IOP) (-RRB- -RRB-)))",
     "( ( pressure ) ( -LRB- ) ( IOP ) ( -RRB- ) )"),
    ("clause_high",
     ("(S (NP (PRP We)) (VP (VBD saw) (NP (NP (NNS genes)) (SBAR (WHNP (WDT that)) "
      "(S (VP (VBD changed)))))))"),
     "( ( We ) ( ( saw ) ( genes ) ( ( that ) ( changed ) ) ) )"),
])
def test_each_rule_rewrites_every_match_as_documented(rule, tree, expected):
    assert rewrite(tree, rule) == expected


def test_rules_rewrite_every_match_not_just_one():
    tree = ("(S (NP (DT The) (NN dog)) (VP (VBD saw) (NP (DT a) (NN cat)) (PP (IN in) "
            "(NP (DT the) (NN garden)))) (. .))")
    assert rewrite(tree, "flatten_base_np") == (
        "( ( The ) ( dog ) ( ( saw ) ( a ) ( cat ) ( ( in ) ( the ) ( garden ) ) ) ( . ) )")


def test_all_systematic_means_one_fixed_rewrite_per_gold(examples):
    """With systematic_share 1 the same construction gets the same error everywhere: the
    answer is a function of the gold tree alone, whatever the example id."""
    rules = ["flatten_base_np", "pp_high", "merge_verb_chain"]
    config = SimulatedTeacherConfig(systematic_share=1.0, systematic_rules=rules, **NO_DAMAGE)
    teacher = SimulatedTeacher(TASK, config, seed=5)
    out = list(teacher.complete(examples))
    renamed = [Example(id=f"other-{i}", source=ex.source, gold=ex.gold)
               for i, ex in enumerate(examples)]
    again = list(SimulatedTeacher(TASK, config, seed=6).complete(renamed))
    fired = 0
    for ex, c, d in zip(examples, out, again):
        assert c.text == d.text == rewrite(ex.gold, *rules)
        assert c.meta["random_errors"] == {}
        fired += sum(c.meta["systematic_rules_fired"].values())
    assert fired > len(examples)


def test_share_picks_more_rules_for_more_systematic_damage():
    cals = [SimulatedTeacher(TASK, SimulatedTeacherConfig(systematic_share=s, calibration_size=200),
                             seed=2).calibration for s in (0.0, 0.3, 0.7)]
    assert cals[0].rules == () and cals[0].systematic_loss_share == 0.0
    assert 0 < len(cals[1].rules) < len(cals[2].rules)
    assert 0.15 < cals[1].systematic_loss_share < 0.45
    assert 0.5 < cals[2].systematic_loss_share < 0.9
    assert all(abs(c.expected - 60.0) < 0.3 for c in cals)
