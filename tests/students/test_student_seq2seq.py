"""A tiny from-scratch student end to end: train, save, load (also without mckd), generate."""

from __future__ import annotations

import json
import random

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import torch  # noqa: E402
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer  # noqa: E402

from mckd.config.student import StudentConfig  # noqa: E402
from mckd.core.records import Status  # noqa: E402
from mckd.students.seq2seq import STUDENT_META, Seq2SeqStudentBackend  # noqa: E402
from mckd.tasks.constituency.check import check_paper  # noqa: E402
from mckd.tasks.constituency.compact import CompactConstraint, from_compact  # noqa: E402

pytestmark = pytest.mark.slow  # trains real (tiny) students

WORDS = "the a dog cat saw chased big small red house near old".split()


def random_pairs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """(source, words-style compact target) pairs: right-branching over 3-8 words."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        k = rng.randint(3, 8)
        source = " ".join(rng.choice(WORDS) for _ in range(k))
        target = " ".join(["(X"] * (k - 1) + ["X" + ")" * (k - 1)])
        pairs.append((source, target))
    return pairs


def tiny_config(**overrides) -> StudentConfig:
    values = dict(d_model=32, d_ff=64, num_heads=2, num_layers=1, num_decoder_layers=1,
                  lr=1e-2, warmup_ratio=0.0, batch_size=8, max_epochs=4, min_epochs=4,
                  fidelity_sample=8, gen_batch_size=8, dropout=0.0)
    values.update(overrides)
    return StudentConfig(**values)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    backend = Seq2SeqStudentBackend(tiny_config())
    summary = backend.train(random_pairs(24), out, seed=3, constraint=CompactConstraint())
    return backend, out, summary


def test_training_lowers_the_loss_and_reports(trained):
    _, _, summary = trained
    losses = [h["loss"] for h in summary["history"]]
    assert summary["epochs_run"] == 4 == len(losses)
    assert losses[-1] < losses[0]
    assert 1 <= summary["kept_epoch"] <= 4 and summary["kept_reason"]
    assert summary["tokens_per_second"] > 0 and summary["peak_rss_mb"] > 0
    assert summary["selection"] == "exact_match"  # no fidelity function given


def test_epoch_lines_name_the_score(tmp_path, caplog):
    backend = Seq2SeqStudentBackend(tiny_config(max_epochs=2, min_epochs=2))
    with caplog.at_level("INFO", logger="mckd.students"):
        backend.train(random_pairs(16), tmp_path / "s", seed=1, constraint=CompactConstraint(),
                      fidelity_fn=lambda s, r, o: 25.0)
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("student s: per-epoch fidelity: the task's score of its outputs "
                               "against its own training labels (a fixed sample of 8 training "
                               "pairs") and line.endswith("not a test score") for line in lines)
    epochs = [line for line in lines if " epoch " in line and "loss" in line]
    assert [e.split(":")[0] for e in epochs] == ["student s epoch 1/2", "student s epoch 2/2"]
    assert all(", fidelity 25.0 (" in e and "s scoring)" in e for e in epochs)


def test_checkpoint_loads_with_plain_transformers(trained):
    import os
    import stat

    _, out, _ = trained
    assert (out / "model.safetensors").exists()
    mode = stat.S_IMODE(os.stat(out / STUDENT_META).st_mode)  # safetensors alone gives 0600
    assert stat.S_IMODE(os.stat(out / "model.safetensors").st_mode) == mode
    meta = json.loads((out / STUDENT_META).read_text())
    assert meta["target_format"] == "compact" and meta["config"]["d_model"] == 32
    assert StudentConfig.model_validate(meta["config"]).d_model == 32
    assert meta["student"]["interleave_words"] is True  # one symbol per word: interleaved
    model = AutoModelForSeq2SeqLM.from_pretrained(out)
    tokenizer = AutoTokenizer.from_pretrained(out)
    batch = tokenizer(["the dog saw the cat"], return_tensors="pt")
    ids = model.generate(**batch, max_new_tokens=10)
    assert isinstance(tokenizer.decode(ids[0], skip_special_tokens=True), str)


def test_generate_keeps_input_order(trained):
    backend, out, _ = trained
    student = backend.load(out)
    sources = [s for s, _ in random_pairs(10, seed=5)] + ["the dog"]
    outputs = student.generate(sources, constraint=CompactConstraint())
    assert len(outputs) == len(sources)
    reversed_outputs = student.generate(sources[::-1], constraint=CompactConstraint())
    assert reversed_outputs[::-1] == outputs
    for src, out_text in zip(sources, outputs, strict=True):
        assert len(out_text.split()) == len(src.split())  # one symbol per word


@pytest.mark.parametrize(("style", "beams"), [("words", 1), ("words", 3), ("brackets", 2)])
def test_constrained_decoding_is_always_well_formed_on_random_weights(tmp_path, style, beams):
    pairs = random_pairs(12)
    if style == "brackets":
        pairs = [(s, " ".join(" ".join(sym) for sym in t.split())) for s, t in pairs]
    constraint = CompactConstraint(style)
    backend = Seq2SeqStudentBackend(tiny_config(max_epochs=1, min_epochs=1, lr=1e-6, num_beams=beams))
    backend.train(pairs, tmp_path, seed=0, constraint=constraint)  # weights stay ~random
    student = backend.load(tmp_path)
    rng = random.Random(1)
    sources = [" ".join(rng.choice(WORDS + ["zebra", "Unseen-3"]) for _ in range(rng.randint(1, 14)))
               for _ in range(30)]
    outputs = student.generate(sources, constraint=constraint)
    for src, text in zip(sources, outputs, strict=True):
        assert check_paper(src, from_compact(src, text)).status == Status.VALID, (src, text)


def test_same_seed_same_student(tmp_path):
    pairs = random_pairs(16)
    runs = []
    for name in ("a", "b", "c"):
        backend = Seq2SeqStudentBackend(tiny_config(max_epochs=2, min_epochs=2, dropout=0.1))
        backend.train(pairs, tmp_path / name, seed=11 if name != "c" else 12)
        runs.append(AutoModelForSeq2SeqLM.from_pretrained(tmp_path / name).state_dict())
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])
    assert not all(torch.equal(runs[0][k], runs[2][k]) for k in runs[0])
    outs = [Seq2SeqStudentBackend(tiny_config()).load(tmp_path / n).generate(["the dog saw a cat"])
            for n in ("a", "b")]
    assert outs[0] == outs[1]


def test_rejects_empty_or_malformed_pairs(tmp_path):
    from mckd.core.errors import DataError

    backend = Seq2SeqStudentBackend(tiny_config())
    with pytest.raises(DataError, match="no training pairs"):
        backend.train([], tmp_path, seed=0)
    with pytest.raises(DataError, match="pair 2"):
        backend.train([("a b", "(X X)"), ("a b", "")], tmp_path, seed=0)


def test_load_without_checkpoint_says_what_to_do(tmp_path):
    from mckd.core.errors import MckdError

    with pytest.raises(MckdError, match="no trained student"):
        Seq2SeqStudentBackend().load(tmp_path)
