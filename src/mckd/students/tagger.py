"""The ``tagger`` student backend: a pretrained encoder and a per-word head.

For targets with exactly one symbol per input word (constituency's and slot filling's
``compact`` formats, TOP's ``words``) the student need not *write* its output: it labels each
word. The model::

    words -> encoder (pretrained; frozen or fine-tuned) -> every layer at each word's first
          piece [words, layers, hidden] -> learned softmax mix of the layers [words, hidden]
          -> dropout -> BiLSTM over the words [words, 2 x lstm_hidden] -> linear [words, labels]

trained with cross-entropy on the pseudolabels' symbols and decoded under the task's
constraint (``mckd.students.tag_decoding``: greedy or beam). The labels are every symbol the
constraint can allow for the longest input plus every symbol of the training targets.

The model and the trained student are in ``tagger_model``, the training loop in
``tagger_train``, decoding in ``tag_decoding``; this module builds, saves and loads students.

``mode: frozen`` computes the encoder features once per input (``mckd.students.features``,
cached on disk and shared by every student); only the head trains, so a student costs seconds.
``mode: finetune`` trains the encoder too.

A trained student is a folder::

    out_dir/
      head.safetensors       the head (layer mix, BiLSTM, output layer)
      encoder/               the fine-tuned encoder and its tokenizer (mode: finetune only)
      mckd_student.json      config, task, task options, labels, encoder identity, summary

A frozen student names its encoder (``student.tagger.encoder``) and its identity; loading
checks that the encoder found there is the same one. The BiLSTM head has no standard
``transformers`` class, so load it with ``TaggerStudentBackend().load(folder)`` (or
``mckd predict FOLDER``), not ``AutoModel``.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mckd.config.student import StudentConfig
from mckd.core.errors import ConfigError, DataError, MckdError
from mckd.core.hashing import stable_seed
from mckd.core.jsonl import as_created, write_json
from mckd.students.base import FidelityFn, StudentBackend, student_label
from mckd.students.features import FeatureCache, WordEncoder
from mckd.students.selection import describe_score, score_name
from mckd.students.seq2seq import exact_match_percent
from mckd.students.tagger_model import TaggerStudent, make_head
from mckd.students.tagger_train import train_tagger
from mckd.tasks.base import DecodingConstraint

log = logging.getLogger(__name__)

STUDENT_META = "mckd_student.json"
HEAD_FILE = "head.safetensors"
ENCODER_DIR = "encoder"


def _check_pairs(pairs: Sequence[tuple[str, str]], what: str) -> None:
    if not pairs:
        raise DataError(f"no {what} pairs to train on; the student needs at least one example")
    for n, (source, target) in enumerate(pairs, 1):
        if len(source.split()) != len(target.split()) or not source.strip():
            raise DataError(
                f"{what} pair {n} has {len(target.split())} target symbols for "
                f"{len(source.split())} source words (source {source[:80]!r}); the tagger "
                "student predicts one symbol per word: use a one-symbol-per-word target format "
                "(student.target_format: compact for constituency and slots, words for top)")


def label_set(pairs: Sequence[tuple[str, str]], constraint: DecodingConstraint | None) -> list[str]:
    """The constraint's symbols for the longest input, then the training symbols not among them."""
    max_words = max(len(s.split()) for s, _ in pairs)
    symbols = getattr(constraint, "symbols", None)
    labels = list(dict.fromkeys(symbols(max_words + 8))) if callable(symbols) else []
    seen = set(labels)
    labels += sorted({sym for _, t in pairs for sym in t.split()} - seen)
    return labels


class TaggerStudentBackend(StudentBackend):
    """Trains fresh tagger students and loads saved ones (``student.backend: tagger``).

    Args:
        config: the student configuration (``student.tagger`` holds the encoder settings).
        task: the task object, recorded by name in the checkpoint (optional).
    """

    name = "tagger"
    scored_generation = True

    def __init__(self, config: StudentConfig | None = None, task: Any = None):
        self.config = config or StudentConfig(backend="tagger")
        self.task = task

    def _encoder(self, source: str | None = None) -> tuple[WordEncoder, FeatureCache | None]:
        tcfg = self.config.tagger
        encoder = WordEncoder(source or tcfg.encoder, max_length=tcfg.max_length)
        cache = FeatureCache(tcfg.feature_cache) if tcfg.mode == "frozen" else None
        return encoder, cache

    def train(self, pairs: Sequence[tuple[str, str]], out_dir: Path, *, seed: int,
              constraint: DecodingConstraint | None = None,
              fidelity_fn: FidelityFn | None = None,
              dev: Sequence[tuple[str, str]] | None = None,
              heldout: Sequence[tuple[str, str]] | None = None,
              heldout_fn: FidelityFn | None = None,
              state_path: Path | None = None) -> dict[str, Any]:
        """Train a fresh tagger on ``pairs`` (one target symbol per source word) and save it.

        Selection and stopping follow ``mckd.students.selection`` on the fidelity sample (or
        dev, with ``select_on_dev``); ``heldout`` pairs are scored per epoch, never used.
        ``state_path``: see ``StudentBackend.train``.

        Returns:
            The training summary (also in ``mckd_student.json``).

        Raises:
            DataError: a pair's target does not have one symbol per source word.
            ConfigError: a multi-process launch (the tagger trains in one process).
        """
        from transformers import set_seed

        from mckd.students.distributed import world_size
        from mckd.students.runtime import peak_rss_mb, set_threads

        if world_size() > 1:
            raise ConfigError("the tagger student trains in one process: run mckd without "
                              "accelerate launch/torchrun (student.parallel_steps runs several "
                              "students at once)")
        cfg = self.config
        _check_pairs(pairs, "training")
        for extra, what in ((dev, "dev"), (heldout, "held-out")):
            if extra:
                _check_pairs(extra, what)
        started = time.perf_counter()
        set_threads(cfg.threads)
        set_seed(seed)
        encoder, cache = self._encoder()
        labels = label_set(pairs, constraint)
        head = make_head(encoder.layers, encoder.hidden, len(labels), cfg.tagger.lstm_hidden,
                         cfg.tagger.lstm_layers, cfg.dropout)
        student = TaggerStudent(encoder, head, labels, cfg, cache)
        if cfg.tagger.mode == "frozen":
            for p in encoder.model.parameters():
                p.requires_grad_(False)

        use_dev = bool(dev) and cfg.select_on_dev
        rng = random.Random(stable_seed(seed, "fidelity-sample"))
        eval_pairs = list(dev or []) if use_dev else rng.sample(
            list(pairs), min(cfg.fidelity_sample, len(pairs)))
        score_fn = fidelity_fn or exact_match_percent
        constraint_used = constraint if cfg.constrained else None

        def evaluate(epoch: int) -> dict[str, float | None]:
            scores: dict[str, float | None] = {}
            if heldout and heldout_fn is not None:
                src = [s for s, _ in heldout]
                out = student.generate(src, constraint=constraint_used)
                scores["heldout"] = float(heldout_fn(src, [t for _, t in heldout], out))
            src = [s for s, _ in eval_pairs]
            scores["score"] = float(score_fn(src, [t for _, t in eval_pairs],
                                             student.generate(src, constraint=constraint_used)))
            return scores

        selection = "dev" if use_dev else ("fidelity" if fidelity_fn else "exact_match")
        log.info("%s: %s", student_label(out_dir), describe_score(selection, len(eval_pairs)))
        summary = train_tagger(student, pairs, cfg, seed=seed, evaluate=evaluate,
                               desc=student_label(out_dir), score_name=score_name(selection),
                               state_path=state_path)
        head_size = sum(p.numel() for p in head.parameters())
        encoder_size = sum(p.numel() for p in encoder.model.parameters())
        trainable = head_size + (encoder_size if cfg.tagger.mode == "finetune" else 0)
        summary.update({
            "selection": selection,
            "eval_examples": len(eval_pairs), "pairs": len(pairs), "seed": seed,
            "device": "cpu", "precision": "fp32", "encoder": cfg.tagger.encoder,
            "mode": cfg.tagger.mode, "labels": len(labels),
            "parameters": head_size + encoder_size,
            "trainable_parameters": trainable,
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "wall_seconds": round(time.perf_counter() - started, 2),
        })
        self._save(student, summary, Path(out_dir))
        return summary

    def _save(self, student: TaggerStudent, summary: dict[str, Any], out_dir: Path) -> None:
        from safetensors.torch import save_file

        from mckd.students.runtime import transformers_bars_off

        out_dir.mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in student.head.state_dict().items()},
                  out_dir / HEAD_FILE)
        as_created(out_dir / HEAD_FILE)
        if not student.frozen:
            with transformers_bars_off():
                student.encoder.model.save_pretrained(out_dir / ENCODER_DIR)
            student.encoder.tokenizer.save_pretrained(out_dir / ENCODER_DIR)
            as_created(*(out_dir / ENCODER_DIR).glob("*.safetensors"))
        tcfg = self.config.tagger
        write_json(out_dir / STUDENT_META, {
            "config": self.config.model_dump(mode="json"),
            "task": getattr(self.task, "name", None),
            "task_options": self.task.options() if hasattr(self.task, "options") else {},
            "target_format": self.config.target_format,
            "student": {"kind": "tagger", "labels": student.labels, "encoder": tcfg.encoder,
                        "encoder_identity": student.encoder.key, "mode": tcfg.mode,
                        "layers": student.encoder.layers, "hidden": student.encoder.hidden},
            "summary": summary,
        })
        log.info("saved student to %s", out_dir)

    def load(self, out_dir: Path) -> TaggerStudent:
        """Load the tagger saved under ``out_dir`` by ``train``.

        Raises:
            MckdError: no tagger there, or (frozen) the encoder found is not the one it was
                trained on.
        """
        from safetensors.torch import load_file

        out_dir = Path(out_dir)
        meta_path = out_dir / STUDENT_META
        if not meta_path.exists() or not (out_dir / HEAD_FILE).exists():
            raise MckdError(f"{out_dir} holds no trained tagger student ({STUDENT_META} or "
                            f"{HEAD_FILE} missing); point at a stage/final student folder")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        info = meta["student"]
        cfg = StudentConfig.model_validate(meta["config"])
        runtime = {"feature_cache": self.config.tagger.feature_cache}
        cfg = cfg.model_copy(update={
            "threads": self.config.threads, "gen_batch_size": self.config.gen_batch_size,
            "tagger": cfg.tagger.model_copy(update=runtime)})
        finetuned = info["mode"] == "finetune"
        backend = TaggerStudentBackend(cfg, self.task)
        encoder, cache = backend._encoder(str(out_dir / ENCODER_DIR) if finetuned else None)
        if not finetuned and encoder.key != info["encoder_identity"]:
            raise MckdError(
                f"{out_dir} was trained on features of encoder {info['encoder']!r} with identity "
                f"{info['encoder_identity'][:12]}, but the encoder loaded from there now is "
                f"{encoder.key[:12]}: its files changed. Reinstall or point "
                "student.tagger.encoder at the original encoder")
        head = make_head(info["layers"], info["hidden"], len(info["labels"]),
                         cfg.tagger.lstm_hidden, cfg.tagger.lstm_layers, cfg.dropout)
        head.load_state_dict(load_file(out_dir / HEAD_FILE))
        return TaggerStudent(encoder, head, info["labels"], cfg, cache)

