"""One process of the data-parallel test (started twice by ``accelerate launch``).

    accelerate launch --multi_gpu --num_processes 2 tests/students/ddp_worker.py OUT_DIR

Trains a tiny student twice: with ``train_loop`` directly (writes this rank's final weights
hash and losses to ``OUT_DIR/rank<r>.json``) and through the backend (the main process saves
the student to ``OUT_DIR/student``).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
from pathlib import Path

import torch
from transformers import set_seed

from mckd.config.student import StudentConfig
from mckd.students.encoding import encode_pairs
from mckd.students.model import build_scratch_model
from mckd.students.seq2seq import Seq2SeqStudentBackend
from mckd.students.tokenizer import train_word_tokenizer
from mckd.students.train import train_loop
from mckd.tasks.constituency.compact import CompactConstraint

WORDS = ("the", "a", "dog", "cat", "saw", "chased", "big", "small", "red", "house", "near", "old")
CONFIG = {"d_model": 32, "d_ff": 64, "num_heads": 2, "num_layers": 1, "num_decoder_layers": 1,
          "lr": 1e-2, "warmup_ratio": 0.0, "batch_size": 8, "max_epochs": 3, "min_epochs": 3,
          "fidelity_sample": 8, "gen_batch_size": 8, "dropout": 0.0, "interleave_words": "off",
          "threads": 1}


def pairs(n: int = 36, seed: int = 0) -> list[tuple[str, str]]:
    """(source, right-branching compact target) pairs of 3-8 words."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        k = rng.randint(3, 8)
        out.append((" ".join(rng.choice(WORDS) for _ in range(k)),
                    " ".join(["(X"] * (k - 1) + ["X" + ")" * (k - 1)])))
    return out


def train_direct(cfg: StudentConfig, data: list[tuple[str, str]], seed: int) -> tuple[str, list[float]]:
    """Final weights hash and per-epoch losses of ``train_loop`` on ``data``."""
    set_seed(seed)
    tokenizer = train_word_tokenizer([s for s, _ in data], [t for _, t in data], min_frequency=1)
    model = build_scratch_model(cfg, tokenizer)
    enc = encode_pairs(tokenizer, data, lambda s: s, interleave_words=False)
    summary = train_loop(model, tokenizer, enc.sources, enc.targets, cfg, seed=seed,
                         precision="fp32", evaluate=lambda epoch: {"score": None})
    digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.parameters()))
    return digest.hexdigest(), [h["loss"] for h in summary["history"]]


def main() -> None:
    torch.set_num_threads(1)
    out = Path(sys.argv[1])
    cfg = StudentConfig(**CONFIG)
    digest, losses = train_direct(cfg, pairs(), seed=3)
    summary = Seq2SeqStudentBackend(cfg).train(pairs(), out / "student", seed=3,
                                               constraint=CompactConstraint())
    rank = int(os.environ["RANK"])
    (out / f"rank{rank}.json").write_text(json.dumps({
        "hash": digest, "losses": losses, "processes": summary.get("processes"),
        "kept_epoch": summary["kept_epoch"], "history": summary["history"],
    }))


if __name__ == "__main__":
    main()
