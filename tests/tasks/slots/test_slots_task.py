"""SlotFillingTask: registration, loading with clear errors, the slot-type inventory, the
compact format's decoding constraint."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pytest

from mckd.config.schema import builtin_data_root
from mckd.core.errors import ConfigError, DataError
from mckd.core.records import Example, Status
from mckd.tasks import get_task
from mckd.tasks.slots.formats import chunks, repair_bio
from mckd.tasks.slots.task import SlotFillingTask

ROW = {"id": "s1", "source": "play queen now", "gold": "O B-artist O",
       "meta": {"intent": "PlayMusic"}}


def write_rows(path, rows, slot_types=None):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    if slot_types is not None:
        (path.parent / "dataset.json").write_text(json.dumps({"slot_types": slot_types}))
    return str(path)


def test_registered_and_cheap_to_import():
    assert isinstance(get_task("slots"), SlotFillingTask)
    code = "import mckd.tasks.slots, sys; print('nltk' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_load_reads_examples_and_adopts_the_dataset_inventory(tmp_path):
    path = write_rows(tmp_path / "d.jsonl", [ROW, "", {"id": "u", "source": "hi"}],
                      slot_types=["artist", "album"])
    task = SlotFillingTask()
    assert task.load(path) == [Example(**ROW), Example(id="u", source="hi")]
    assert task.slot_types == {"artist", "album"}
    assert task.slot_types_from.endswith("dataset.json")


@pytest.mark.parametrize("row, message", [
    ({"id": "x"}, "field 'source' must be a non-empty string"),
    ({"source": "a b", "gold": "O O"}, "field 'id' must be a non-empty string"),
    ({"id": "x", "source": "a b", "gold": "O O B-artist"}, "gold has 3 tags for 2 words"),
    ({"id": "x", "source": "a b", "gold": "O"}, "gold has 1 tags for 2 words"),
    ({"id": "x", "source": "a b", "gold": "O X-artist"}, "gold tag 'X-artist' .word 2. is not"),
    ({"id": "x", "source": "a b", "gold": "O B-song"},
     "gold slot type 'song' .word 2. is not in the slot-type inventory"),
    ({"id": "x", "source": "a", "gold": 3}, "field 'gold' must be a non-empty string or null"),
])
def test_load_errors_name_file_and_line(tmp_path, row, message):
    path = write_rows(tmp_path / "bad.jsonl", [ROW, "", row], slot_types=["artist"])
    with pytest.raises(DataError, match=message) as info:
        SlotFillingTask().load(path)
    assert str(info.value).startswith(f"{path}:3: ")


def test_load_rejects_duplicate_ids(tmp_path):
    path = write_rows(tmp_path / "dup.jsonl", [ROW, ROW])
    with pytest.raises(DataError, match=r":2: duplicate id 's1' \(first on line 1\)"):
        SlotFillingTask().load(path)


def test_the_option_wins_over_dataset_json_and_bad_options_are_config_errors(tmp_path):
    path = write_rows(tmp_path / "d.jsonl", [ROW], slot_types=["album"])
    task = get_task("slots", slot_types=["artist"])
    task.load(path)
    assert task.slot_types == {"artist"}
    for bad in ("artist", ["two words"], [3]):
        with pytest.raises(ConfigError, match="slot_types"):
            SlotFillingTask(slot_types=bad)


def test_fit_learns_the_inventory_from_gold():
    task = SlotFillingTask().fit([Example(**ROW), Example(id="u", source="x")])
    assert task.slot_types == {"artist"}
    checked = task.check("play queen now", "play O queen B-album now O")
    assert checked.status == Status.REPAIRED and checked.target == "play O queen O now O"


def test_unknown_format_is_a_config_error():
    with pytest.raises(ConfigError, match="valid choices: interleaved, bracketed, compact"):
        SlotFillingTask().check("a", "a O", "paper")


def test_gold_targets_are_iob2_even_for_iob1_gold():
    ex = Example(id="x", source="a b c", gold="I-x I-x O")
    assert SlotFillingTask().gold_target(ex) == "a B-x b I-x c O"
    assert SlotFillingTask().gold_target(ex, "bracketed") == "[x a b] c"


def test_scoring_unlabelled_data_is_a_clear_error():
    with pytest.raises(DataError, match="has no gold tags"):
        SlotFillingTask().example_score(Example(id="u", source="a"), None)


def test_the_shipped_demo_loads_with_its_39_slot_types():
    task = SlotFillingTask()
    root = builtin_data_root() / "snips_demo"
    sizes = {stem: len(task.load(str(root / f"{stem}.jsonl")))
             for stem in ("labeled_50", "labeled_250", "unlabeled", "dev", "test")}
    assert sizes == {"labeled_50": 50, "labeled_250": 250, "unlabeled": 10000, "dev": 200,
                     "test": 400}
    assert len(task.slot_types) == 39
    assert (root / "ATTRIBUTION.md").is_file()


def test_compact_constraint_admits_exactly_the_valid_iob2_sequences():
    task = SlotFillingTask(slot_types=["a", "b"])
    assert task.constraint("interleaved") is None
    assert SlotFillingTask().constraint("compact") is None  # no inventory, no constraint
    con = task.constraint("compact")
    symbols = con.symbols()
    admitted = set()

    def walk(state, prefix):
        allowed = con.allowed(state)
        assert allowed and allowed <= {*symbols, con.EOS}
        for sym in allowed:
            if sym == con.EOS:
                admitted.add(tuple(prefix))
            else:
                walk(con.advance(state, sym), [*prefix, sym])

    walk(con.start("w1 w2 w3"), [])
    every = {seq for seq in itertools.product(symbols, repeat=3) if repair_bio(seq)[1] == 0}
    # by hand: after O (or at the start) 3 tags may follow, inside a slot 4 (its I- too);
    # counting (closed, in a, in b) word by word: (1,1,1), (3,4,4), (11,15,15) -> 41
    assert admitted == every and len(every) == 41
    for seq in admitted:
        assert task.check("w1 w2 w3", " ".join(seq), "compact").status == Status.VALID
        assert all(typ in "ab" for typ, _, _ in chunks(seq))


def test_plain_text_is_split_at_whitespace_and_punctuation():
    from mckd.tasks import get_task

    task = get_task("slots")
    assert (task.tokenize("Play post-punk in St. Louis, please?  It's 24/7")
            == "Play post-punk in St . Louis , please ? It's 24/7")
