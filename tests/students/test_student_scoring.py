"""A seq2seq student's confidence in its own outputs (KD+SD filter) and held-out curves."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from test_student_seq2seq import random_pairs, tiny_config  # noqa: E402

from mckd.students.scoring import free_token_mask, score_outputs  # noqa: E402
from mckd.students.seq2seq import Seq2SeqStudentBackend  # noqa: E402
from mckd.tasks.constituency.compact import CompactConstraint  # noqa: E402

pytestmark = pytest.mark.slow  # trains real (tiny) students


def test_free_tokens_of_interleaved_outputs_are_the_symbols_and_eos():
    # w1 s1 w2 s2 w3 s3 </s>
    assert free_token_mask(7, interleaved=True) == [False, True, False, True, False, True, True]
    assert free_token_mask(3, interleaved=False) == [True, True, True]
    assert free_token_mask(1, interleaved=True) == [True]  # an empty output: EOS only
    assert free_token_mask(4, interleaved=True) == [True] * 4  # not the pattern: count all


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    out = tmp_path_factory.mktemp("scored")
    backend = Seq2SeqStudentBackend(tiny_config(max_epochs=6, min_epochs=6))
    backend.train(random_pairs(40), out, seed=1, constraint=CompactConstraint())
    return backend.load(out)


def test_generate_scored_returns_the_outputs_of_generate_with_their_confidence(student):
    sources = [s for s, _ in random_pairs(12, seed=9)]
    plain = student.generate(sources, constraint=CompactConstraint())
    scored = student.generate_scored(sources, constraint=CompactConstraint())
    assert [s.text for s in scored] == plain
    for source, out in zip(sources, scored, strict=True):
        assert out.tokens == len(source.split()) + 1  # one symbol per word, then EOS
        assert -50 < out.mean_logprob < 0 and math.isfinite(out.mean_logprob)


def _ids(student, sources, outputs):
    tok = student.tokenizer
    return ([tok(student.prepare(s))["input_ids"] for s in sources],
            [tok(o)["input_ids"] for o in outputs])


def test_scores_do_not_depend_on_batching_and_match_a_hand_computed_mean(student):
    import torch

    sources = [s for s, _ in random_pairs(9, seed=4)]
    outputs = [" ".join(f"{w} X" for w in s.split()) for s in sources]  # interleaved, flat
    src, tgt = _ids(student, sources, outputs)
    tok = student.tokenizer
    one = score_outputs(student.model, src, tgt, tokenizer=tok, interleaved=True, batch_size=1)
    many = score_outputs(student.model, src, tgt, tokenizer=tok, interleaved=True, batch_size=8)
    assert [n for _, n in one] == [n for _, n in many]
    assert all(abs(a - b) < 1e-4 for (a, _), (b, _) in zip(one, many, strict=True))
    # the first pair by hand: log-softmax of the model's logits at each symbol and at EOS
    labels = torch.tensor([tgt[0]])
    with torch.no_grad():
        decoder_in = student.model.prepare_decoder_input_ids_from_labels(labels=labels)
        logits = student.model(input_ids=torch.tensor([src[0]]),
                               decoder_input_ids=decoder_in).logits[0]
    logp = torch.log_softmax(logits, -1)[range(len(tgt[0])), tgt[0]].tolist()
    chosen = [v for j, v in enumerate(logp) if j % 2 == 1 or j == len(logp) - 1]
    assert abs(one[0][0] - sum(chosen) / len(chosen)) < 1e-4


def test_the_students_own_output_outscores_a_different_one(student):
    """What the filter relies on: the greedy output is the student's most confident guess."""
    sources = [s for s, _ in random_pairs(10, seed=7)]
    own = student.generate_scored(sources, constraint=CompactConstraint())
    flat = [" ".join(f"{w} X" for w in s.split()) for s in sources]  # not right-branching
    src, tgt = _ids(student, sources, flat)
    other = score_outputs(student.model, src, tgt, tokenizer=student.tokenizer,
                          interleaved=True, batch_size=8)
    better = sum(o.mean_logprob > m for o, (m, _) in zip(own, other, strict=True))
    assert better == len(sources)


def test_heldout_curve_is_recorded_and_changes_nothing_else(tmp_path):
    pairs, held = random_pairs(24, seed=2), random_pairs(6, seed=3)
    calls = []

    def heldout_fn(sources, references, outputs):
        calls.append(len(outputs))
        return 100.0 * sum(o == r for o, r in zip(outputs, references, strict=True)) / len(outputs)

    backend = Seq2SeqStudentBackend(tiny_config())
    plain = backend.train(pairs, tmp_path / "a", seed=5, constraint=CompactConstraint())
    curved = backend.train(pairs, tmp_path / "b", seed=5, constraint=CompactConstraint(),
                           heldout=held, heldout_fn=heldout_fn)
    assert calls == [6] * curved["epochs_run"]
    assert all(0 <= h["heldout"] <= 100 for h in curved["history"])
    assert "heldout" not in plain["history"][0]
    strip = [{k: v for k, v in h.items() if k in ("loss", "score")} for h in curved["history"]]
    assert strip == [{k: h[k] for k in ("loss", "score")} for h in plain["history"]]
    assert curved["kept_epoch"] == plain["kept_epoch"]
