"""Benchmark: student training/generation speed, ours vs the authors' transformers recipe.

Both sides get the same CRAFT pairs (the shipped demo data, gold trees as compact targets), the
same token ids (``mckd.students.encoding``), the same model config and initial weights (same
seed; the table shows a weight hash) and the same optimizer settings, for the same epochs:

- ``baseline``: as the authors' ``run_translation.py``: ``Seq2SeqTrainer`` in fp32, shuffled
  batches padded per batch by ``DataCollatorForSeq2Seq``; ``predict(predict_with_generate)``
  over the test inputs in their order, in fixed batches (``--baseline-gen-batch``).
- ``ours``: ``mckd.students.train.train_loop`` and ``generate.generate_texts`` with the
  student config (``--set key=value`` overrides it).

Each side runs in its own subprocess (clean peak memory). Training tokens/s counts real
tokens (source + target, no padding); generation tokens/s counts generated tokens up to eos.
Both sides are scored with the same code: held-out token loss on the dev split after training,
and the paper F1 of unconstrained greedy outputs on the test split.

    python bench/student_speed.py --threads 1                    # CPU-sized, ~2-4 minutes
    python bench/student_speed.py --threads 2 --repeat 3         # 3 seeds, sides alternating
    python bench/student_speed.py --threads 1 --epochs 12        # quality: F1 of trained students
    python bench/student_speed.py --preset t5-base --epochs 1    # on a GPU

``--set`` options that only our loop knows (``compile``, ``precision``, ``gen_batch_size``,
``micro_batch_size``) change only the ``ours`` column.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Self

PRESETS = {
    "cpu-small": {},  # StudentConfig defaults: ~2M-parameter BART from scratch
    "t5-base": {"architecture": "t5", "d_model": 768, "d_ff": 3072, "num_layers": 12,
                "num_decoder_layers": 12, "num_heads": 12, "lr": 3e-4},
}
ROWS = [("steps", "steps", "{:.0f}"), ("train tokens/s", "train_tok_s", "{:.0f}"),
        ("train model TFLOP/s", "train_tflops", "{:.3f}"), ("model FLOP utilisation %", "mfu", "{:.1f}"),
        ("train peak MiB (+RSS or CUDA)", "train_peak_mb", "{:.0f}"),
        ("mean train loss", "train_loss", "{:.4f}"), ("dev loss after training", "dev_loss", "{:.4f}"),
        ("generation tokens/s", "gen_tok_s", "{:.0f}"), ("generation peak MiB", "gen_peak_mb", "{:.0f}"),
        ("test F1 (greedy, unconstrained)", "f1", "{:.1f}"), ("test outputs valid %", "valid", "{:.1f}"),
        ("initial weights", "weights", "{}")]


class PeakMemory:
    """Peak memory of a phase: CUDA max allocated, else peak RSS above the start (sampled)."""

    def __init__(self, device: str):
        self.device, self.peak_mb, self._stop = device, 0.0, threading.Event()

    @staticmethod
    def _rss_mb() -> float:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    def _sample(self, start: float) -> None:
        while not self._stop.wait(0.01):
            self.peak_mb = max(self.peak_mb, self._rss_mb() - start)

    def __enter__(self) -> Self:
        import torch

        if self.device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        else:
            self._thread = threading.Thread(target=self._sample, args=(self._rss_mb(),), daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        import torch

        if self.device == "cuda":
            torch.cuda.synchronize()
            self.peak_mb = torch.cuda.max_memory_allocated() / 2**20
        else:
            self._stop.set()
            self._thread.join()


def load_pairs(split: str, limit: int):
    """(examples, (source, compact target) pairs) from the shipped CRAFT demo data."""
    from mckd.config.schema import builtin_data_root
    from mckd.tasks.constituency.task import ConstituencyTask

    task = ConstituencyTask()
    examples = task.load(str(builtin_data_root() / "craft_demo" / f"{split}.jsonl"))[:limit]
    return examples, [(ex.source, task.gold_target(ex, "compact")) for ex in examples]


def train_flops(model, sources, targets) -> float:
    """Model FLOPs of one epoch over these pairs, forward + backward (3x forward), real tokens.

    Every weight matrix costs 2 FLOPs per token that passes it (encoder weights: source
    tokens; decoder weights and the output projection: target tokens); attention adds
    2 x 2 x d_model FLOPs per (query, key) pair (scores and weighted sum) in every layer:
    encoder and decoder self-attention (causal: half the pairs) and cross-attention.
    Padding is not counted: this is the work a perfect batcher would do.
    """
    import torch

    def matrices(module) -> int:
        embeddings = {id(m.weight) for m in module.modules() if isinstance(m, torch.nn.Embedding)}
        return sum(p.numel() for p in module.parameters() if p.dim() == 2 and id(p) not in embeddings)

    encoder, decoder = model.get_encoder(), model.get_decoder()
    head = model.get_output_embeddings().weight.numel()
    cfg = model.config
    d = cfg.d_model
    enc_layers = getattr(cfg, "encoder_layers", None) or cfg.num_layers
    dec_layers = getattr(cfg, "decoder_layers", None) or getattr(cfg, "num_decoder_layers", None) or enc_layers
    forward = 0.0
    for s, t in zip(sources, targets, strict=True):
        ls, lt = len(s), len(t)
        forward += 4 * d * (enc_layers * ls * ls + dec_layers * (lt * (lt + 1) / 2 + lt * ls))
    n_src, n_tgt = sum(map(len, sources)), sum(map(len, targets))
    forward += 2 * (matrices(encoder) * n_src + (matrices(decoder) + head) * n_tgt)
    return 3 * forward


def dev_loss(model, enc, tokenizer) -> float:
    """Token-mean cross-entropy (fp32, no dropout) over encoded pairs; the same for both sides."""
    import torch
    from transformers import DataCollatorForSeq2Seq

    model.eval()
    collator = DataCollatorForSeq2Seq(tokenizer, model=model)  # labels padded with -100
    device, total, count = next(model.parameters()).device, 0.0, 0
    with torch.no_grad():
        for k in range(0, len(enc.sources), 32):
            batch = collator([{"input_ids": s, "labels": t} for s, t in
                              zip(enc.sources[k : k + 32], enc.targets[k : k + 32], strict=True)])
            batch = {n: v.to(device) for n, v in batch.items()}
            labels = batch.pop("labels")  # (b, T)
            logits = model(**batch).logits.float()  # (b, T, V)
            total += torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.size(-1)), labels.reshape(-1), reduction="sum").item()
            count += int((labels != -100).sum())
    return total / count


def train_baseline(model, tokenizer, enc, cfg, args, work: str):
    """run_translation.py's recipe; returns (trainer, mean training loss)."""
    from transformers import DataCollatorForSeq2Seq, Seq2SeqTrainer, Seq2SeqTrainingArguments

    targs = Seq2SeqTrainingArguments(
        output_dir=work, per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=args.baseline_gen_batch, learning_rate=cfg.lr,
        weight_decay=cfg.weight_decay, adam_beta2=0.98, adam_epsilon=1e-8,
        warmup_steps=cfg.warmup_ratio, max_grad_norm=cfg.max_grad_norm,
        lr_scheduler_type="linear" if cfg.lr_schedule == "linear" else "constant_with_warmup",
        num_train_epochs=args.epochs, seed=args.seed, save_strategy="no", eval_strategy="no",
        logging_strategy="no", report_to=[], disable_tqdm=True, predict_with_generate=True,
        generation_max_length=128, generation_num_beams=cfg.num_beams, dataloader_num_workers=0,
        use_cpu=not _cuda())
    train = [{"input_ids": s, "attention_mask": [1] * len(s), "labels": t}
             for s, t in zip(enc.sources, enc.targets, strict=True)]
    collator = DataCollatorForSeq2Seq(tokenizer, model=model)

    def collate(features):  # transformers 5 leaves labels=None in unlabeled batches, which
        batch = collator(features)  # Seq2SeqTrainer.prediction_step then takes for labels
        return {k: v for k, v in batch.items() if v is not None}

    trainer = Seq2SeqTrainer(model=model, args=targs, train_dataset=train, processing_class=tokenizer,
                             data_collator=collate)
    return trainer, trainer.train().training_loss


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def run_side(side: str, args) -> dict:
    """Train and generate with one side; the numbers of one table column."""
    import numpy as np
    import torch
    from transformers import set_seed

    from mckd.config.student import StudentConfig
    from mckd.students.encoding import encode_pairs
    from mckd.students.generate import _decode, generate_texts
    from mckd.students.interleave import deinterleave
    from mckd.students.runtime import pick_device, resolve_precision
    from mckd.students.seq2seq import Seq2SeqStudent, Seq2SeqStudentBackend
    from mckd.students.train import train_loop
    from mckd.tasks.constituency.compact import CompactConstraint
    from mckd.tasks.constituency.task import ConstituencyTask

    torch.set_num_threads(args.threads)
    values = {**PRESETS[args.preset], **dict(_parse_set(s) for s in args.set),
              "max_epochs": args.epochs, "min_epochs": args.epochs}
    cfg = StudentConfig(**values)
    device = pick_device()
    precision = resolve_precision(cfg.precision, device) if side == "ours" else "fp32"
    _, pairs = load_pairs("unlabeled", args.train)
    _, dev_pairs = load_pairs("dev", args.dev)
    test, test_pairs = load_pairs("test", args.test)
    set_seed(args.seed)
    model, tokenizer, info = Seq2SeqStudentBackend(cfg)._build(pairs, CompactConstraint())
    model.to(device)
    student = Seq2SeqStudent(model, tokenizer, cfg, info)
    weights = hashlib.sha256(b"".join(p.detach().cpu().numpy().tobytes() for p in model.parameters()))
    enc = encode_pairs(tokenizer, pairs, student.prepare, interleave_words=bool(info["interleave_words"]))
    dev = encode_pairs(tokenizer, dev_pairs, student.prepare, interleave_words=bool(info["interleave_words"]))
    tokens = args.epochs * sum(len(s) + len(t) for s, t in zip(enc.sources, enc.targets, strict=True))
    flops = args.epochs * train_flops(model, enc.sources, enc.targets)

    with tempfile.TemporaryDirectory() as work, PeakMemory(device) as train_mem:
        started = time.perf_counter()
        if side == "ours":
            summary = train_loop(model, tokenizer, enc.sources, enc.targets, cfg, seed=args.seed,
                                 precision=precision, evaluate=lambda epoch: {"score": None},
                                 progress_desc="ours")
            steps = summary["steps_per_epoch"] * args.epochs
            train_loss = sum(h["loss"] for h in summary["history"]) / len(summary["history"])
        else:
            trainer, train_loss = train_baseline(model, tokenizer, enc, cfg, args, work)
            steps = trainer.state.global_step
        train_seconds = time.perf_counter() - started
    held_out = dev_loss(model, dev, tokenizer)

    sources = [s for s, _ in test_pairs]
    with PeakMemory(device) as gen_mem:
        started = time.perf_counter()
        if side == "ours":
            outputs = generate_texts(model, tokenizer, sources, num_beams=cfg.num_beams,
                                     batch_size=cfg.gen_batch_size, length_ratio=enc.length_ratio,
                                     prepare=student.prepare, precision=precision)
        else:
            ids = [tokenizer(student.prepare(s))["input_ids"] for s in sources]
            pred = trainer.predict([{"input_ids": i, "attention_mask": [1] * len(i)} for i in ids])
            rows = np.where(pred.predictions != -100, pred.predictions, tokenizer.pad_token_id)
            outputs = [" ".join(t.split()) for t in _decode(tokenizer, rows.tolist(),
                                                            model.config.decoder_start_token_id)]
        gen_seconds = time.perf_counter() - started
    gen_tokens = sum(len(o.split()) + 1 for o in outputs)
    if info["interleave_words"]:
        outputs = [deinterleave(o) for o in outputs]
    task = ConstituencyTask()
    scores = task.score(test, [task.check(s, o, "compact") for s, o in zip(sources, outputs, strict=True)])
    tflops = flops / train_seconds / 1e12
    peak = args.peak_tflops if device == "cuda" else args.peak_tflops_cpu
    return {"side": side, "steps": steps, "train_tok_s": tokens / train_seconds, "train_s": train_seconds,
            "train_tflops": tflops, "mfu": 100.0 * tflops / peak if peak else float("nan"),
            "train_peak_mb": train_mem.peak_mb, "train_loss": train_loss, "dev_loss": held_out,
            "gen_tok_s": gen_tokens / gen_seconds, "gen_s": gen_seconds, "gen_peak_mb": gen_mem.peak_mb,
            "f1": scores["f1"], "valid": 100.0 * scores["valid"] / max(1, scores["n"]),
            "weights": weights.hexdigest()[:12], "precision": precision, "device": device,
            "parameters": sum(p.numel() for p in model.parameters()), "train_tokens": tokens}


def _parse_set(item: str) -> tuple[str, object]:
    key, _, raw = item.partition("=")
    try:
        return key, json.loads(raw)
    except json.JSONDecodeError:
        return key, raw


SPEED = {"train_tok_s", "gen_tok_s", "train_peak_mb", "gen_peak_mb", "train_tflops", "mfu"}  # median over repeats
QUALITY = {"train_loss", "dev_loss", "f1", "valid"}  # mean +- sd over the repeats' seeds


def _cell(values: list, key: str, fmt: str) -> str:
    if all(isinstance(v, float) and math.isnan(v) for v in values):
        return "-"  # e.g. utilisation without a known peak
    if len(values) == 1 or not isinstance(values[0], float):
        return fmt.format(values[0]) if len(set(map(str, values))) == 1 else " / ".join(map(str, values))
    if key in SPEED:
        return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"
    return f"{fmt.format(statistics.mean(values))} +- {fmt.format(statistics.stdev(values))}"


def _centre(values: list, key: str) -> float:
    return statistics.median(values) if key in SPEED else statistics.mean(values)


def table(runs: dict[str, list[dict]]) -> str:
    """Both sides' numbers; over several repeats, speed as median (range), quality as mean +- sd."""
    lines = ["| | baseline | ours | ours / baseline |", "|---|---:|---:|---:|"]
    for label, key, fmt in ROWS:
        base, ours = ([r[key] for r in runs[side]] for side in ("baseline", "ours"))
        ratio = ""
        if isinstance(base[0], float) and math.isfinite(_centre(base, key)) and _centre(base, key):
            ratio = f"{_centre(ours, key) / _centre(base, key):.2f}x"
        lines.append(f"| {label} | {_cell(base, key, fmt)} | {_cell(ours, key, fmt)} | {ratio} |")
    if len(runs["ours"]) > 1:
        ratios = [o["train_tok_s"] / b["train_tok_s"] for b, o in zip(runs["baseline"], runs["ours"], strict=True)]
        lines.append(f"\nper repeat, train tokens/s ours / baseline: {', '.join(f'{r:.2f}x' for r in ratios)}")
        gap = [o["dev_loss"] - b["dev_loss"] for b, o in zip(runs["baseline"], runs["ours"], strict=True)]
        lines.append(f"per seed, dev loss ours - baseline: {', '.join(f'{g:+.4f}' for g in gap)}")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=sorted(PRESETS), default="cpu-small")
    p.add_argument("--set", action="append", default=[], help="StudentConfig override key=value")
    p.add_argument("--train", type=int, default=2000, help="training pairs (<= 2000)")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--dev", type=int, default=200, help="pairs scored for the held-out loss")
    p.add_argument("--test", type=int, default=400, help="inputs generated and scored")
    p.add_argument("--baseline-gen-batch", type=int, default=8,
                   help="the baseline's per_device_eval_batch_size (TrainingArguments' default 8)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads for both sides")
    p.add_argument("--peak-tflops", type=float, default=790.0,
                   help="the GPU's peak for the utilisation row (H200 bf16 dense, measured: ~790)")
    p.add_argument("--peak-tflops-cpu", type=float, default=None,
                   help="the CPU's fp32 peak in TFLOP/s for the utilisation row (none: row empty)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--repeat", type=int, default=1,
                   help="runs per side, seeds --seed, --seed+1, ...; sides alternate")
    p.add_argument("--side", choices=["both", "ours", "baseline"], default="both")
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help="also write both sides' numbers as JSON here")
    args = p.parse_args()
    if args.result:  # a worker subprocess
        args.result.write_text(json.dumps(run_side(args.side, args)))
        return 0
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads),
           "TOKENIZERS_PARALLELISM": "false"}
    sides = ["baseline", "ours"] if args.side == "both" else [args.side]
    runs: dict[str, list[dict]] = {side: [] for side in sides}
    for rep in range(args.repeat):  # sides alternate, so a noisy minute hits both
        for side in sides:
            with tempfile.NamedTemporaryFile(suffix=".json") as fh:
                subprocess.run([sys.executable, __file__, *sys.argv[1:], "--seed", str(args.seed + rep),
                                "--side", side, "--result", fh.name], env=env, check=True)
                r = json.loads(Path(fh.name).read_text())
            runs[side].append(r)
            print(f"{side} (seed {args.seed + rep}): {r['parameters'] / 1e6:.2f}M parameters on {r['device']} "
                  f"({r['precision']}), {r['steps']} steps, train {r['train_s']:.1f}s "
                  f"({r['train_tok_s']:.0f} tok/s), generation {r['gen_s']:.1f}s", flush=True)
    if args.out:  # first: the numbers survive a failure below
        args.out.write_text(json.dumps(runs, indent=1))
    if len(runs) == 2:
        if args.repeat > 1:
            print(f"\n{args.repeat} repeats, seeds {args.seed}-{args.seed + args.repeat - 1}: speed is the "
                  "median (range), losses and F1 the mean +- sd over the seeds")
        print(table(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
