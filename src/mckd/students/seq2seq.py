"""The ``seq2seq`` student backend: a transformers encoder-decoder trained on string pairs.

``Seq2SeqStudentBackend(config, task=None).train(pairs, out_dir, seed=...)`` builds a fresh
model (from scratch or pretrained, see ``model.py``), trains it with ``train.train_loop`` under
the checkpoint rule and saves a self-describing folder::

    out_dir/
      config.json, generation_config.json, model.safetensors   (save_pretrained)
      tokenizer.json, tokenizer_config.json                    (AutoTokenizer loads these)
      mckd_student.json   {"config": StudentConfig, "task", "task_options" (e.g. the label
                           inventory), "target_format", "student": {...}, "summary"}

``load(out_dir)`` returns a ``Seq2SeqStudent`` whose ``generate`` labels new inputs.
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
from mckd.core.errors import DataError, MckdError
from mckd.core.hashing import stable_seed
from mckd.core.jsonl import as_created, write_json
from mckd.students.base import FidelityFn, Student, StudentBackend, student_label
from mckd.students.encoding import encode_pairs
from mckd.students.interleave import WordInterleavedConstraint, aligned, deinterleave
from mckd.students.scoring import ScoredOutput
from mckd.students.selection import describe_score, score_name
from mckd.tasks.base import DecodingConstraint

log = logging.getLogger(__name__)

STUDENT_META = "mckd_student.json"


def exact_match_percent(sources: Sequence[str], references: Sequence[str], outputs: Sequence[str]) -> float:
    """Fallback fidelity: percentage of outputs equal to their reference (whitespace-normalised)."""
    hits = sum(" ".join(r.split()) == " ".join(o.split()) for r, o in zip(references, outputs, strict=True))
    return 100.0 * hits / max(1, len(outputs))


class Seq2SeqStudent(Student):
    """A trained seq2seq student (model + tokenizer + what it needs to prepare inputs)."""

    def __init__(self, model: Any, tokenizer: Any, config: StudentConfig, info: dict[str, Any]):
        from mckd.students.runtime import pick_device, resolve_precision
        from mckd.students.tokenizer import is_word_level

        self.model, self.tokenizer, self.config, self.info = model, tokenizer, config, info
        self.device = pick_device()
        self.precision = resolve_precision(config.precision, self.device)
        self.model.to(self.device)
        self.word_level = is_word_level(tokenizer)
        self._vocab = tokenizer.get_vocab() if self.word_level else {}
        self._warned = False

    def prepare(self, source: str) -> str:
        """The text fed to the tokenizer for ``source`` (unknown words -> signatures)."""
        from mckd.students.tokenizer import map_unknown_words

        if not self.word_level:
            return source
        return map_unknown_words(source, self._vocab, self.info.get("unknown_words", "unk"))

    def generate(
        self,
        sources: Sequence[str],
        *,
        constraint: DecodingConstraint | None = None,
        progress_desc: str | None = None,
    ) -> list[str]:
        """One output per source, in input order; constrained when possible (see module doc)."""
        outputs = self._generate_raw(sources, constraint=constraint, progress_desc=progress_desc)
        return [deinterleave(o) for o in outputs] if self.interleaved else outputs

    @property
    def interleaved(self) -> bool:
        """Whether this student writes its targets word-interleaved."""
        return bool(self.info.get("interleave_words"))

    def generate_scored(
        self,
        sources: Sequence[str],
        *,
        constraint: DecodingConstraint | None = None,
        progress_desc: str | None = None,
    ) -> list[ScoredOutput]:
        """Like ``generate``, each output with the mean log-probability of the tokens the
        student chose (``mckd.students.scoring``: copied input words are left out)."""
        from mckd.students.scoring import score_outputs

        raw = self._generate_raw(sources, constraint=constraint, progress_desc=progress_desc)
        encode = self.tokenizer
        scores = score_outputs(
            self.model,
            [encode(self.prepare(s), truncation=True, max_length=1024)["input_ids"] for s in sources],
            [encode(o, truncation=True, max_length=1024)["input_ids"] for o in raw],
            tokenizer=self.tokenizer, interleaved=self.interleaved,
            batch_size=self.config.gen_batch_size, precision=self.precision,
        )
        texts = [deinterleave(o) for o in raw] if self.interleaved else raw
        return [ScoredOutput(t, m, n) for t, (m, n) in zip(texts, scores, strict=True)]

    def _generate_raw(
        self,
        sources: Sequence[str],
        *,
        constraint: DecodingConstraint | None,
        progress_desc: str | None,
    ) -> list[str]:
        """Outputs as the model writes them (word-interleaved when the student is)."""
        from mckd.students.generate import generate_texts
        from mckd.students.runtime import set_threads

        set_threads(self.config.threads)
        if constraint is not None and not self.word_level:
            if not self._warned:
                log.warning("the student's tokenizer is not word-level, so task symbols are not "
                            "single tokens: decoding unconstrained; Task.check repairs or rejects")
                self._warned = True
            constraint = None
        if self.interleaved and constraint is not None:
            constraint = WordInterleavedConstraint(constraint, self.prepare)
        return generate_texts(
            self.model, self.tokenizer, list(sources),
            num_beams=self.config.num_beams,
            batch_size=self.config.gen_batch_size,
            length_ratio=float(self.info.get("length_ratio", 4.0)),
            constraint=constraint,
            prepare=self.prepare,
            precision=self.precision,
            progress_desc=progress_desc,
        )


def _check_pairs(pairs: Sequence[tuple[str, str]], what: str) -> None:
    if not pairs:
        raise DataError(f"no {what} pairs to train on; the student needs at least one example")
    for n, pair in enumerate(pairs, 1):
        if len(pair) != 2 or not all(isinstance(x, str) and x.strip() for x in pair):
            raise DataError(f"{what} pair {n} is not two non-empty strings (source, target): {pair!r}")


def _interleave(mode: str, pairs: Sequence[tuple[str, str]]) -> bool:
    """Whether a from-scratch student writes its targets word-interleaved (``interleave_words``)."""
    if mode == "off":
        return False
    bad = aligned(pairs)
    if bad is None:
        return True
    source, target = pairs[bad]
    if mode == "on":
        raise DataError(
            f"student.interleave_words is 'on' but training pair {bad + 1} has "
            f"{len(target.split())} target symbols for {len(source.split())} source words "
            f"(source {source[:80]!r}); use a one-symbol-per-word target format or set "
            "student.interleave_words: auto"
        )
    log.info("targets are not one symbol per word (pair %d): training without word interleaving", bad + 1)
    return False


class Seq2SeqStudentBackend(StudentBackend):
    """Trains fresh seq2seq students and loads saved ones.

    Args:
        config: the student configuration (defaults: ``StudentConfig()``).
        task: the task object, recorded by name in the checkpoint (optional).
    """

    name = "seq2seq"
    scored_generation = True  # loaded students have generate_scored (mckd.students.scoring)

    def __init__(self, config: StudentConfig | None = None, task: Any = None):
        self.config = config or StudentConfig()
        self.task = task

    def train(
        self,
        pairs: Sequence[tuple[str, str]],
        out_dir: Path,
        *,
        seed: int,
        constraint: DecodingConstraint | None = None,
        fidelity_fn: FidelityFn | None = None,
        dev: Sequence[tuple[str, str]] | None = None,
        heldout: Sequence[tuple[str, str]] | None = None,
        heldout_fn: FidelityFn | None = None,
        state_path: Path | None = None,
    ) -> dict[str, Any]:
        """Train a fresh student on ``pairs`` (targets in ``config.target_format``), save it.

        ``heldout`` (source, gold target) pairs, when given with ``heldout_fn``, are generated
        after every epoch and scored into ``history[i]["heldout"]``: a learning curve only,
        never used to select or stop. ``state_path``: see ``StudentBackend.train``.

        Returns:
            The training summary (also saved in ``mckd_student.json``).
        """
        from transformers import set_seed

        from mckd.students.distributed import barrier, is_main_process
        from mckd.students.runtime import pick_device, resolve_precision, set_threads
        from mckd.students.train import train_loop

        cfg = self.config
        _check_pairs(pairs, "training")
        if dev:
            _check_pairs(dev, "dev")
        if heldout:
            _check_pairs(heldout, "held-out")
        started = time.perf_counter()
        set_threads(cfg.threads)
        device = pick_device()
        precision = resolve_precision(cfg.precision, device)
        set_seed(seed)
        model, tokenizer, info = self._build(pairs, constraint)
        model.to(device)
        student = Seq2SeqStudent(model, tokenizer, cfg, info)
        encoded = encode_pairs(tokenizer, pairs, student.prepare,
                               interleave_words=bool(info.get("interleave_words")))
        sources, targets = encoded.sources, encoded.targets
        info["length_ratio"] = encoded.length_ratio

        use_dev = bool(dev) and cfg.select_on_dev
        if use_dev:
            eval_pairs = list(dev or [])
        else:
            rng = random.Random(stable_seed(seed, "fidelity-sample"))
            eval_pairs = rng.sample(list(pairs), min(cfg.fidelity_sample, len(pairs)))
        score_fn = fidelity_fn or exact_match_percent

        decode_with = constraint if cfg.constrained else None

        def evaluate(epoch: int) -> dict[str, float | None]:
            scores: dict[str, float | None] = {}
            if heldout and heldout_fn is not None:
                sources = [s for s, _ in heldout]
                outputs = student.generate(sources, constraint=decode_with)
                scores["heldout"] = float(heldout_fn(sources, [t for _, t in heldout], outputs))
            outputs = student.generate([s for s, _ in eval_pairs], constraint=decode_with)
            scores["score"] = float(score_fn([s for s, _ in eval_pairs], [t for _, t in eval_pairs],
                                             outputs))
            return scores

        selection = "dev" if use_dev else ("fidelity" if fidelity_fn else "exact_match")
        log.info("student %s: %s", student_label(out_dir),
                 describe_score(selection, len(eval_pairs)))
        summary = train_loop(
            model, tokenizer, sources, targets, cfg,
            seed=seed, precision=precision, evaluate=evaluate,
            progress_desc=f"student {student_label(out_dir)}", score_name=score_name(selection),
            state_path=state_path,
        )
        summary.update({
            "selection": selection,
            "eval_examples": len(eval_pairs),
            "pairs": len(pairs),
            "seed": seed,
            "device": device,
            "precision": precision,
            "parameters": sum(p.numel() for p in model.parameters()),
            "vocab_size": len(tokenizer),
            "wall_seconds": round(time.perf_counter() - started, 2),
        })
        if is_main_process():  # data-parallel processes end with the same weights (distributed.py)
            self._save(model, tokenizer, info, summary, Path(out_dir))
        barrier()
        return summary

    def _build(self, pairs: Sequence[tuple[str, str]], constraint: DecodingConstraint | None) -> tuple[Any, Any, dict[str, Any]]:
        from mckd.students.model import build_scratch_model, load_pretrained
        from mckd.students.tokenizer import train_word_tokenizer

        cfg = self.config
        if cfg.init == "pretrained":
            model, tokenizer = load_pretrained(str(cfg.model))
            return model, tokenizer, {"unknown_words": "none"}
        max_words = max(len(s.split()) for s, _ in pairs)
        symbols = getattr(constraint, "symbols", None)
        extra = symbols(max_words + 8) if callable(symbols) else ()
        tokenizer = train_word_tokenizer(
            [s for s, _ in pairs], [t for _, t in pairs],
            min_frequency=cfg.min_word_frequency, extra_symbols=extra, unknown_words=cfg.unknown_words,
        )
        info = {"unknown_words": cfg.unknown_words, "interleave_words": _interleave(cfg.interleave_words, pairs)}
        return build_scratch_model(cfg, tokenizer), tokenizer, info

    def _save(self, model: Any, tokenizer: Any, info: dict[str, Any], summary: dict[str, Any], out_dir: Path) -> None:
        from mckd.students.runtime import transformers_bars_off

        out_dir.mkdir(parents=True, exist_ok=True)
        with transformers_bars_off():
            model.save_pretrained(out_dir)
        as_created(*out_dir.glob("*.safetensors"))
        tokenizer.save_pretrained(out_dir)
        write_json(out_dir / STUDENT_META, {
            "config": self.config.model_dump(mode="json"),
            "task": getattr(self.task, "name", None),
            "task_options": self.task.options() if hasattr(self.task, "options") else {},
            "target_format": self.config.target_format,
            "student": info,
            "summary": summary,
        })
        log.info("saved student to %s", out_dir)

    def load(self, out_dir: Path) -> Seq2SeqStudent:
        """Load the student saved under ``out_dir`` by ``train``.

        Raises:
            MckdError: ``out_dir`` holds no trained mckd student.
        """
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        meta_path = Path(out_dir) / STUDENT_META
        if not meta_path.exists():
            raise MckdError(f"{out_dir} holds no trained student ({STUDENT_META} missing); "
                            "train one first or point at a stage/final student folder")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        from mckd.students.runtime import transformers_bars_off

        with transformers_bars_off():
            model = AutoModelForSeq2SeqLM.from_pretrained(out_dir)
        tokenizer = AutoTokenizer.from_pretrained(out_dir)
        return Seq2SeqStudent(model, tokenizer, self.config, meta.get("student", {}))
