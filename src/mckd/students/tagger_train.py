"""The tagger's training loop: random batches, AdamW with warmup and linear decay, the
checkpoint rule (``mckd.students.selection``), the best epoch's weights kept.

A batch is a random draw of ``batch_size`` examples (the paper's shuffled batches); its loss is
the mean cross-entropy over its words. With a frozen encoder only the head's parameters train
(learning rate ``lr``); fine-tuned, the encoder trains too at ``tagger.encoder_lr``. With
``state_path`` the loop saves its state after every epoch and continues from there when the
file exists (``mckd.students.epoch_state``).
"""

from __future__ import annotations

import copy
import logging
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mckd.config.student import StudentConfig
from mckd.students import epoch_state
from mckd.students.runtime import progress_disabled
from mckd.students.selection import CheckpointRule
from mckd.students.tagger_model import TaggerStudent

log = logging.getLogger(__name__)


def _optimizer(student: TaggerStudent, cfg: StudentConfig, total_steps: int) -> tuple[Any, Any]:
    import torch
    from transformers import get_linear_schedule_with_warmup

    groups = [{"params": list(student.head.parameters()), "lr": cfg.lr}]
    if not student.frozen:
        groups.append({"params": list(student.encoder.model.parameters()),
                       "lr": cfg.tagger.encoder_lr})
    optimizer = torch.optim.AdamW(groups, weight_decay=cfg.weight_decay)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(cfg.warmup_ratio * total_steps),
                                                total_steps)
    return optimizer, scheduler


def _epoch(student: TaggerStudent, sources: Sequence[str], targets: Sequence[list[int]],
           feats: Sequence[Any] | None, order: list[int], cfg: StudentConfig,
           optimizer: Any, scheduler: Any, desc: str) -> tuple[float, int]:
    """One pass over ``order`` in batches; returns (summed word loss, words)."""
    import torch
    from tqdm.auto import tqdm

    params = [p for group in optimizer.param_groups for p in group["params"]]
    loss_sum, words = 0.0, 0
    for start in tqdm(range(0, len(order), cfg.batch_size), desc=desc, leave=False,
                      disable=progress_disabled()):
        batch = order[start:start + cfg.batch_size]
        logits = student.batch_logits([sources[i] for i in batch],
                                      [feats[i] for i in batch] if feats else None)  # [B, W, C]
        gold = torch.full(logits.shape[:2], -100, dtype=torch.long)  # -100: past the words
        for row, i in enumerate(batch):
            gold[row, : len(targets[i])] = torch.tensor(targets[i])
        loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), gold.flatten(),
                                                 reduction="sum")
        n = int((gold != -100).sum())
        (loss / n).backward()
        torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        loss_sum, words = loss_sum + float(loss.detach()), words + n
    return loss_sum, words


def _weights(student: TaggerStudent) -> dict[str, Any]:
    state = {"head": student.head.state_dict()}
    if not student.frozen:
        state["encoder"] = student.encoder.model.state_dict()
    return copy.deepcopy(state)


def _restore(student: TaggerStudent, state: dict[str, Any]) -> None:
    student.head.load_state_dict(state["head"])
    if "encoder" in state:
        student.encoder.model.load_state_dict(state["encoder"])


def train_tagger(student: TaggerStudent, pairs: Sequence[tuple[str, str]], cfg: StudentConfig,
                 *, seed: int, evaluate: Callable[[int], dict[str, float | None]], desc: str,
                 score_name: str = "fidelity", state_path: Path | None = None) -> dict[str, Any]:
    """Train ``student`` on (source, one-symbol-per-word target) pairs under the checkpoint rule.

    Args:
        student: a fresh student (its labels cover every target symbol).
        pairs: the training pairs.
        cfg: schedule, batch size, checkpoint rule.
        seed: seeds the batch order (the head's init and dropout use torch's generator).
        evaluate: called after each epoch with its number; returns {"score": its fidelity (or
            dev) score, plus other values for the epoch's history row, e.g. "heldout"}.
        desc: label of the progress bars and log lines.
        score_name: what the score is, in the per-epoch log lines.
        state_path: where the state after each epoch is saved; an existing file there is
            resumed from.

    Returns:
        Summary: epochs run, kept epoch and why, per-epoch loss/score/seconds, words/s.
    """
    sources = [s for s, _ in pairs]
    index = {sym: j for j, sym in enumerate(student.labels)}
    targets = [[index[sym] for sym in t.split()] for _, t in pairs]
    feats = student.frozen_features(sources) if student.frozen else None
    steps_per_epoch = -(-len(pairs) // cfg.batch_size)
    optimizer, scheduler = _optimizer(student, cfg, steps_per_epoch * cfg.max_epochs)
    rule = CheckpointRule(cfg.fidelity_delta, cfg.fidelity_patience, cfg.min_epochs,
                          cfg.max_epochs)
    rng = random.Random(seed)  # batch order
    history: list[dict[str, Any]] = []
    best: dict[str, Any] | None = None
    stopped = False
    saved = epoch_state.load(state_path)
    if saved is not None:
        _restore(student, saved["weights"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        rule, history, best = CheckpointRule(**saved["rule"]), saved["history"], saved["best"]
        stopped = saved["stopped"]
        rng.setstate(saved["order_rng"])
        epoch_state.restore_rngs(saved["rngs"])
        epoch_state.log_resume(desc, len(history), cfg.max_epochs, stopped)
    for epoch in range(len(history) + 1, cfg.max_epochs + 1):
        if stopped:
            break
        student.head.train()
        student.encoder.model.train(not student.frozen)
        order = list(range(len(pairs)))
        rng.shuffle(order)
        started = time.perf_counter()
        loss_sum, words = _epoch(student, sources, targets, feats, order, cfg, optimizer,
                                 scheduler, f"{desc} epoch {epoch}")
        seconds = time.perf_counter() - started
        scores = evaluate(epoch)
        score = float(scores["score"])  # type: ignore[arg-type]
        stopped = rule.update(score)
        if rule.best_epoch == epoch:
            best = _weights(student)
        history.append({"epoch": epoch, "loss": round(loss_sum / max(1, words), 4),
                        "score": round(score, 3), "train_seconds": round(seconds, 2),
                        "eval_seconds": round(time.perf_counter() - started - seconds, 2),
                        "lr": scheduler.get_last_lr()[0],
                        **{k: round(v, 3) for k, v in scores.items()
                           if k != "score" and v is not None}})
        log.info("%s epoch %d/%d: loss %.4f, %s %.2f (%.1f s training + %.1f s scoring)", desc,
                 epoch, cfg.max_epochs, history[-1]["loss"], score_name, score, seconds,
                 history[-1]["eval_seconds"])
        if state_path is not None:
            epoch_state.save(state_path, {
                "weights": _weights(student), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "rule": rule.state(), "history": history,
                "best": best, "stopped": stopped, "order_rng": rng.getstate(),
                "rngs": epoch_state.rng_states()})
    if best is not None and rule.best_epoch != len(history):
        _restore(student, best)
    train_seconds = sum(h["train_seconds"] for h in history)
    return {"epochs_run": len(history), "kept_epoch": rule.best_epoch,
            "kept_reason": rule.keep_reason(), "stop_reason": rule.stop_reason,
            "history": history, "train_seconds": round(train_seconds, 2),
            "steps_per_epoch": steps_per_epoch,
            "words_per_second": round(sum(map(len, targets)) * len(history)
                                      / max(train_seconds, 1e-9), 1)}
