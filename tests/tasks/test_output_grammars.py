"""Output grammars for grammar-constrained teacher decoding: what the GBNF text sent to a
server admits (read back from the text itself, see gbnf_reader)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from gbnf_reader import Recognizer, lark_accepts, parse_gbnf

import mckd
from mckd.core.errors import ConfigError
from mckd.core.records import Status
from mckd.tasks.constituency.task import ConstituencyTask
from mckd.tasks.grammar import Grammar, Ref, gbnf_literal
from mckd.tasks.slots.task import SlotFillingTask
from mckd.tasks.top.task import TopTask

DATA = Path(mckd.__file__).parent / "data"
CRAFT = ConstituencyTask()
SNIPS = SlotFillingTask()


def _gold(task, demo: str) -> list:
    seen, out = set(), []
    for name in ("labeled_250", "labeled_50", "test"):
        for ex in task.load(str(DATA / demo / f"{name}.jsonl")):
            if ex.id not in seen:
                seen.add(ex.id)
                out.append(ex)
    return out


def _recognizer(task, source: str) -> Recognizer:
    return Recognizer(task.output_grammar(source).to_gbnf())


def _sample(gbnf: str, rng: random.Random) -> str:
    """A random string of the grammar's language (its rules are right-linear: a walk ends)."""
    rules, out, todo = parse_gbnf(gbnf), [], [("ref", "root")]
    while todo:
        kind, value = todo.pop()
        if kind == "lit":
            out.append(value)
        else:
            todo.extend(reversed(rng.choice(rules[value])))
    return "".join(out)


def test_every_gold_tree_of_the_craft_demo_is_admitted():
    gold = _gold(CRAFT, "craft_demo")
    assert len(gold) >= 650
    refused = [ex.id for ex in gold
               if not _recognizer(CRAFT, ex.source).accepts(CRAFT.gold_target(ex))]
    assert refused == []


def test_every_gold_tagging_of_the_snips_demo_is_admitted():
    gold = _gold(SNIPS, "snips_demo")
    assert len(gold) >= 650
    refused = [ex.id for ex in gold
               if not _recognizer(SNIPS, ex.source).accepts(SNIPS.gold_target(ex))]
    assert refused == []


def _craft_malformed(source: str, gold: str) -> dict[str, str]:
    words = source.split()
    swapped = gold.replace(f"( {words[0]} )", "( @@ )").replace(
        f"( {words[1]} )", f"( {words[0]} )").replace("( @@ )", f"( {words[1]} )")
    return {
        "words swapped": swapped,
        "a word dropped": gold.replace(f" ( {words[-1]} )", "", 1),
        "a word added": gold[:-2] + " ( extra ) )",
        "a word changed": gold.replace(f"( {words[0]} )", "( xyzzy )", 1),
        "unbalanced": gold[:-2],
        "an extra close": gold + " )",
        "two roots": gold + " ( ( a ) ( b ) )",
        "a bracket around one word": gold.replace(f"( {words[0]} )", f"( ( {words[0]} ) )", 1),
        "an empty bracket": gold[:-2] + " ( ) )",
        "no brackets": source,
        "labels": gold.replace("( (", "(NP (", 1),
        "prose after it": gold + " done",
    }


def test_malformed_and_mismatched_bracketings_are_refused():
    examples = CRAFT.load(str(DATA / "craft_demo" / "labeled_50.jsonl"))[:10]
    for ex in examples:
        gold, recognizer = CRAFT.gold_target(ex), _recognizer(CRAFT, ex.source)
        assert recognizer.accepts(gold) and recognizer.accepts(" " + gold)
        for what, text in _craft_malformed(ex.source, gold).items():
            assert not recognizer.accepts(text), (ex.id, what, text)
    other = CRAFT.gold_target(examples[1])
    assert not _recognizer(CRAFT, examples[0].source).accepts(other)  # another input's tree


def test_a_one_word_input_admits_only_its_leaf():
    recognizer = _recognizer(CRAFT, "Results")
    assert recognizer.accepts("( Results )") and recognizer.accepts(" ( Results )")
    assert not recognizer.accepts("( ( Results ) )") and not recognizer.accepts("( Result )")


def test_bracket_words_are_escaped_as_in_the_prompt():
    source = "a ( b ) c"
    gold = "( ( a ) ( -LRB- ) ( b ) ( -RRB- ) ( c ) )"
    recognizer = _recognizer(CRAFT, source)
    assert recognizer.accepts(gold)
    assert CRAFT.check(source, gold).status is Status.VALID


def test_every_admitted_bracketing_checks_out_over_the_input_words():
    """Random strings of the grammar: valid, or (a bracket whose one child is a bracket) only
    rewritten in canonical form, never a changed word or a broken tree."""
    rng = random.Random(0)
    examples = CRAFT.load(str(DATA / "craft_demo" / "labeled_50.jsonl"))[:25]
    statuses = set()
    for ex in examples:
        gbnf = CRAFT.output_grammar(ex.source).to_gbnf()
        for _ in range(8):
            text = _sample(gbnf, rng)
            checked = CRAFT.check(ex.source, text)
            statuses.add(checked.status)
            assert checked.status is Status.VALID or checked.reason == (
                "repaired: rewrote in canonical form"), (text, checked)
    assert Status.VALID in statuses


def _snips_malformed(source: str, gold: str) -> dict[str, str]:
    words = source.split()
    tokens = gold.split()
    return {
        "a tag missing": " ".join(tokens[:-1]),
        "a word changed": gold.replace(words[0], "xyzzy", 1),
        "I- after O": " ".join([tokens[0], "I-artist", *tokens[2:]]),
        "an unknown type": " ".join([tokens[0], "B-no_such_type", *tokens[2:]]),
        "not a tag": " ".join([tokens[0], "artist", *tokens[2:]]),
        "words only": source,
        "an extra pair": gold + " more O",
        "double spaces": gold.replace(" ", "  ", 1),
    }


def test_malformed_taggings_are_refused():
    examples = [ex for ex in SNIPS.load(str(DATA / "snips_demo" / "labeled_50.jsonl"))
                if len(ex.source.split()) >= 3][:10]
    for ex in examples:
        gold, recognizer = SNIPS.gold_target(ex), _recognizer(SNIPS, ex.source)
        assert recognizer.accepts(gold)
        for what, text in _snips_malformed(ex.source, gold).items():
            assert not recognizer.accepts(text), (ex.id, what, text)


def test_an_inside_tag_must_continue_a_chunk_of_its_own_type():
    task = SlotFillingTask(slot_types=["artist", "playlist"])
    recognizer = _recognizer(task, "add sabrina salerno")
    assert recognizer.accepts("add O sabrina B-artist salerno I-artist")
    assert not recognizer.accepts("add O sabrina B-playlist salerno I-artist")
    assert not recognizer.accepts("add O sabrina O salerno I-artist")
    assert not recognizer.accepts("add I-artist sabrina O salerno O")


def test_every_admitted_tagging_is_valid():
    rng = random.Random(1)
    for ex in SNIPS.load(str(DATA / "snips_demo" / "labeled_50.jsonl"))[:25]:
        gbnf = SNIPS.output_grammar(ex.source).to_gbnf()
        for _ in range(8):
            text = _sample(gbnf, rng)
            assert SNIPS.check(ex.source, text).status is Status.VALID, text


def test_the_home_made_recognizer_agrees_with_lark():
    pytest.importorskip("lark", reason="lark (mckd[dev]) cross-checks the recognizer")
    for task, demo, malformed in ((CRAFT, "craft_demo", _craft_malformed),
                                  (SNIPS, "snips_demo", _snips_malformed)):
        examples = sorted(task.load(str(DATA / demo / "labeled_50.jsonl")),
                          key=lambda ex: len(ex.source.split()))[2:5]
        for ex in examples:
            gbnf, gold = task.output_grammar(ex.source).to_gbnf(), task.gold_target(ex)
            texts = [gold, " " + gold, *malformed(ex.source, gold).values()]
            expected = [Recognizer(gbnf).accepts(t) for t in texts]
            assert lark_accepts(gbnf, texts) == expected
            assert expected[0] and not any(expected[2:])


def test_literals_are_escaped_for_gbnf():
    grammar = Grammar()
    grammar.add("root", 'say "hi" \\ now\n', Ref("end"))
    grammar.add("end", "!")
    text = grammar.to_gbnf()
    assert gbnf_literal('a"b') == '"a\\"b"'
    assert Recognizer(text).accepts('say "hi" \\ now\n!')


def test_tasks_without_a_grammar_say_so():
    with pytest.raises(ConfigError, match="not supported for task 'top'.*constrain: none"):
        TopTask().output_grammar("what is the weather")
    with pytest.raises(ConfigError, match="slot-type inventory"):
        SlotFillingTask().output_grammar("play some jazz")
