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

import copy
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
from mckd.core.jsonl import write_json
from mckd.students.base import FidelityFn, Student, StudentBackend
from mckd.students.features import FeatureCache, WordEncoder
from mckd.students.scoring import ScoredOutput
from mckd.students.selection import CheckpointRule
from mckd.students.tag_decoding import decode
from mckd.tasks.base import DecodingConstraint

log = logging.getLogger(__name__)

STUDENT_META = "mckd_student.json"
HEAD_FILE = "head.safetensors"
ENCODER_DIR = "encoder"


def make_head(layers: int, hidden: int, labels: int, lstm_hidden: int, lstm_layers: int,
              dropout: float) -> Any:
    """The per-word head as a torch module (see the module doc for its shape)."""
    import torch
    from torch import nn

    class TaggerHead(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.mix = nn.Parameter(torch.zeros(layers))   # softmax weights over layers
            self.gamma = nn.Parameter(torch.ones(()))
            self.dropout = nn.Dropout(dropout)
            self.lstm = (nn.LSTM(hidden, lstm_hidden, lstm_layers, batch_first=True,
                                 bidirectional=True, dropout=dropout if lstm_layers > 1 else 0.0)
                         if lstm_hidden else None)
            self.out = nn.Linear(2 * lstm_hidden if lstm_hidden else hidden, labels)

        def forward(self, feats: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
            """feats [B, W, layers, hidden], lengths [B] -> logits [B, W, labels]."""
            x = self.gamma * torch.einsum("bwlh,l->bwh", feats, self.mix.softmax(0))
            x = self.dropout(x)
            if self.lstm is not None:
                packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True,
                                                           enforce_sorted=False)
                x, _ = self.lstm(packed)
                x, _ = nn.utils.rnn.pad_packed_sequence(x, batch_first=True,
                                                        total_length=feats.shape[1])
                x = self.dropout(x)
            return self.out(x)

    return TaggerHead()


class TaggerStudent(Student):
    """A trained tagger: encoder, head and label symbols (see the module doc).

    Args:
        encoder: the word encoder (frozen or fine-tuned).
        head: the head module.
        labels: the label symbols, in the head's output order.
        config: the student configuration.
        cache: the feature cache (frozen mode), or None to encode every call.
    """

    def __init__(self, encoder: WordEncoder, head: Any, labels: Sequence[str],
                 config: StudentConfig, cache: FeatureCache | None):
        self.encoder, self.head, self.labels = encoder, head, list(labels)
        self.config, self.cache = config, cache
        self.frozen = config.tagger.mode == "frozen"
        self.dead_ends = 0

    # -- features ----------------------------------------------------------------------------
    def frozen_features(self, sources: Sequence[str]) -> list[Any]:
        """Cached (or freshly encoded) float16 features per source (frozen mode)."""
        if self.cache is None:
            raise MckdError("a frozen tagger needs its feature cache")
        return self.cache.get(self.encoder, sources, self.config.tagger.feature_batch_size)

    def batch_logits(self, sources: Sequence[str], feats: Sequence[Any] | None) -> Any:
        """Logits ``[B, max words, labels]`` of a batch (``feats``: frozen features or None)."""
        import torch

        lengths = torch.tensor([len(s.split()) for s in sources])
        if feats is not None:  # float16 [words, layers, hidden] each -> padded float32 batch
            x = torch.nn.utils.rnn.pad_sequence([torch.from_numpy(f) for f in feats],
                                                batch_first=True).float()
        else:
            x = self.encoder.features([self.encoder.pieces(s) for s in sources])
        return self.head(x, lengths)

    # -- generation --------------------------------------------------------------------------
    def _decode_all(self, sources: Sequence[str], constraint: DecodingConstraint | None,
                    progress_desc: str | None) -> list[Any]:
        import torch
        from tqdm.auto import tqdm

        from mckd.students.runtime import set_threads

        set_threads(self.config.threads)
        if not self.config.constrained:
            constraint = None
        sources = list(sources)
        feats = self.frozen_features(sources) if self.frozen else None
        self.head.eval()
        self.encoder.model.eval()
        order = sorted(range(len(sources)), key=lambda i: len(sources[i].split()))
        results: list[Any] = [None] * len(sources)
        size = self.config.gen_batch_size
        with torch.inference_mode():
            for start in tqdm(range(0, len(order), size), desc=progress_desc or "tagging",
                              leave=False, disable=None):
                idx = order[start:start + size]
                batch = [sources[i] for i in idx]
                logits = self.batch_logits(batch, [feats[i] for i in idx] if feats else None)
                logprobs = logits.float().log_softmax(-1).numpy()
                for row, i in enumerate(idx):
                    n = len(sources[i].split())
                    results[i] = decode(logprobs[row, :n], self.labels, sources[i], constraint,
                                        self.config.num_beams)
        dead = sum(r.dead_ends for r in results)
        if dead:
            self.dead_ends += dead
            log.warning("%d words had no allowed label among the tagger's %d; the constraint's "
                        "first allowed symbol was written instead", dead, len(self.labels))
        return results

    def generate(self, sources: Sequence[str], *, constraint: DecodingConstraint | None = None,
                 progress_desc: str | None = None) -> list[str]:
        """One output per source (its symbols joined by spaces), in input order."""
        return [" ".join(r.symbols) for r in self._decode_all(sources, constraint, progress_desc)]

    def generate_scored(self, sources: Sequence[str], *,
                        constraint: DecodingConstraint | None = None,
                        progress_desc: str | None = None) -> list[ScoredOutput]:
        """Like ``generate``, each output with the mean log-probability (unconstrained
        distribution) of the symbols chosen, one per word."""
        return [ScoredOutput(" ".join(r.symbols), sum(r.logprobs) / max(1, len(r.logprobs)),
                             len(r.logprobs))
                for r in self._decode_all(sources, constraint, progress_desc)]


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
              heldout_fn: FidelityFn | None = None) -> dict[str, Any]:
        """Train a fresh tagger on ``pairs`` (one target symbol per source word) and save it.

        Selection and stopping follow ``mckd.students.selection`` on the fidelity sample (or
        dev, with ``select_on_dev``); ``heldout`` pairs are scored per epoch, never used.

        Returns:
            The training summary (also in ``mckd_student.json``).

        Raises:
            DataError: a pair's target does not have one symbol per source word.
            ConfigError: a multi-process launch (the tagger trains in one process).
        """
        from mckd.students.distributed import world_size
        from mckd.students.runtime import peak_rss_mb, seed_everything, set_threads

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
        seed_everything(seed)
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
        score_fn = fidelity_fn or _exact_match
        constraint_used = constraint if cfg.constrained else None
        heldout_scores: dict[int, float] = {}

        def evaluate(epoch: int) -> float:
            if heldout and heldout_fn is not None:
                src = [s for s, _ in heldout]
                out = student.generate(src, constraint=constraint_used)
                heldout_scores[epoch] = float(heldout_fn(src, [t for _, t in heldout], out))
            src = [s for s, _ in eval_pairs]
            return float(score_fn(src, [t for _, t in eval_pairs],
                                  student.generate(src, constraint=constraint_used)))

        summary = self._train_loop(student, pairs, seed, evaluate, Path(out_dir).name)
        for row in summary["history"]:
            if row["epoch"] in heldout_scores:
                row["heldout"] = round(heldout_scores[row["epoch"]], 3)
        trainable = sum(p.numel() for p in head.parameters())
        if cfg.tagger.mode == "finetune":
            trainable += sum(p.numel() for p in encoder.model.parameters())
        summary.update({
            "selection": "dev" if use_dev else ("fidelity" if fidelity_fn else "exact_match"),
            "eval_examples": len(eval_pairs), "pairs": len(pairs), "seed": seed,
            "device": "cpu", "precision": "fp32", "encoder": cfg.tagger.encoder,
            "mode": cfg.tagger.mode, "labels": len(labels),
            "parameters": trainable + (0 if cfg.tagger.mode == "finetune" else
                                       sum(p.numel() for p in encoder.model.parameters())),
            "trainable_parameters": trainable,
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "wall_seconds": round(time.perf_counter() - started, 2),
        })
        self._save(student, summary, Path(out_dir))
        return summary

    def _train_loop(self, student: TaggerStudent, pairs: Sequence[tuple[str, str]], seed: int,
                    evaluate: Any, desc: str) -> dict[str, Any]:
        """Epochs of random batches, AdamW with linear warmup/decay, the checkpoint rule."""
        import torch
        from tqdm.auto import tqdm
        from transformers import get_linear_schedule_with_warmup

        cfg = self.config
        sources = [s for s, _ in pairs]
        index = {sym: j for j, sym in enumerate(student.labels)}
        targets = [[index[sym] for sym in t.split()] for _, t in pairs]
        feats = student.frozen_features(sources) if student.frozen else None
        params = [{"params": list(student.head.parameters()), "lr": cfg.lr}]
        if not student.frozen:
            params.append({"params": list(student.encoder.model.parameters()),
                           "lr": cfg.tagger.encoder_lr})
        optimizer = torch.optim.AdamW(params, weight_decay=cfg.weight_decay)
        steps_per_epoch = -(-len(pairs) // cfg.batch_size)
        total = steps_per_epoch * cfg.max_epochs
        scheduler = get_linear_schedule_with_warmup(optimizer, int(cfg.warmup_ratio * total),
                                                    total)
        rule = CheckpointRule(cfg.fidelity_delta, cfg.fidelity_patience, cfg.min_epochs,
                              cfg.max_epochs)
        rng = random.Random(seed)
        history: list[dict[str, Any]] = []
        best: dict[str, Any] | None = None
        train_seconds = 0.0
        for epoch in range(1, cfg.max_epochs + 1):
            student.head.train()
            student.encoder.model.train(not student.frozen)
            started = time.perf_counter()
            order = list(range(len(pairs)))
            rng.shuffle(order)
            loss_sum, words = 0.0, 0
            for start in tqdm(range(0, len(order), cfg.batch_size), desc=f"{desc} epoch {epoch}",
                              leave=False, disable=None):
                batch = order[start:start + cfg.batch_size]
                logits = student.batch_logits([sources[i] for i in batch],
                                              [feats[i] for i in batch] if feats else None)
                gold = torch.full(logits.shape[:2], -100, dtype=torch.long)
                for row, i in enumerate(batch):
                    gold[row, : len(targets[i])] = torch.tensor(targets[i])
                loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), gold.flatten(),
                                                         reduction="sum")
                n = int((gold != -100).sum())
                (loss / n).backward()
                torch.nn.utils.clip_grad_norm_([p for g in params for p in g["params"]],
                                               cfg.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                loss_sum, words = loss_sum + float(loss.detach()), words + n
            seconds = time.perf_counter() - started
            train_seconds += seconds
            eval_started = time.perf_counter()
            score = evaluate(epoch)
            eval_seconds = time.perf_counter() - eval_started
            stop = rule.update(score)
            if rule.best_epoch == epoch:
                best = copy.deepcopy(self._state(student))
            history.append({"epoch": epoch, "loss": round(loss_sum / max(1, words), 4),
                            "score": round(score, 3), "train_seconds": round(seconds, 2),
                            "eval_seconds": round(eval_seconds, 2),
                            "lr": scheduler.get_last_lr()[0]})
            log.info("%s epoch %d: loss %.4f fidelity %.3f (%.1fs + %.1fs eval)", desc, epoch,
                     history[-1]["loss"], score, seconds, eval_seconds)
            if stop:
                break
        if best is not None and rule.best_epoch != len(history):
            self._restore(student, best)
        return {"epochs_run": len(history), "kept_epoch": rule.best_epoch,
                "kept_reason": rule.keep_reason(), "stop_reason": rule.stop_reason,
                "history": history, "train_seconds": round(train_seconds, 2),
                "steps_per_epoch": steps_per_epoch,
                "words_per_second": round(sum(len(t) for t in targets) * len(history)
                                          / max(train_seconds, 1e-9), 1)}

    @staticmethod
    def _state(student: TaggerStudent) -> dict[str, Any]:
        state = {"head": student.head.state_dict()}
        if not student.frozen:
            state["encoder"] = student.encoder.model.state_dict()
        return state

    @staticmethod
    def _restore(student: TaggerStudent, state: dict[str, Any]) -> None:
        student.head.load_state_dict(state["head"])
        if "encoder" in state:
            student.encoder.model.load_state_dict(state["encoder"])

    def _save(self, student: TaggerStudent, summary: dict[str, Any], out_dir: Path) -> None:
        from safetensors.torch import save_file

        out_dir.mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in student.head.state_dict().items()},
                  out_dir / HEAD_FILE)
        if not student.frozen:
            student.encoder.model.save_pretrained(out_dir / ENCODER_DIR)
            student.encoder.tokenizer.save_pretrained(out_dir / ENCODER_DIR)
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


def _exact_match(sources: Sequence[str], references: Sequence[str], outputs: Sequence[str]) -> float:
    hits = sum(r.split() == o.split() for r, o in zip(references, outputs, strict=True))
    return 100.0 * hits / max(1, len(outputs))
