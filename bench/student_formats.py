"""Benchmark: what from-scratch student learns CRAFT parsing best within a CPU budget?

Trains students on N gold CRAFT trees (train articles, 5-25 words) and scores them on held-out
sentences (test articles) with the paper's metric, constrained and unconstrained, next to the
right-branching baseline. Each ``--variant`` is a target format (``words`` / ``brackets`` are
the two compact styles, ``paper`` the paper's form) followed by StudentConfig overrides.

    python bench/student_formats.py --data /work/shared/data/craft --train 3000 --test 200 \
        --variant "words" --variant "brackets" --variant "paper lr=5e-4" --set max_epochs=8

Prints one table row per variant (and writes them as JSON with ``--out``).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import random
import sys
import time
from pathlib import Path

from mckd.config.student import StudentConfig
from mckd.core.records import Example
from mckd.students.seq2seq import Seq2SeqStudentBackend
from mckd.tasks.constituency import compact
from mckd.tasks.constituency.linearize import to_paper
from mckd.tasks.constituency.task import ConstituencyTask
from mckd.tasks.constituency.treebank import normalize_tree, read_treebank, tree_to_line

TASK = ConstituencyTask()


def load_craft(folder: Path, lo: int, hi: int) -> dict[str, list[Example]]:
    """Normalised CRAFT trees of lo..hi words, grouped by CRAFT split (train/dev/test)."""
    with (folder / "index.tsv").open(encoding="utf-8") as fh:
        split_of = {int(r["line"]): r["craft_split"] for r in csv.DictReader(fh, delimiter="\t")}
    out: dict[str, list[Example]] = {"train": [], "dev": [], "test": []}
    for line, tree in read_treebank(folder / "trees.txt").trees:
        tree = normalize_tree(tree)
        if tree is None or not lo <= len(tree.leaves()) <= hi:
            continue
        out[split_of[line]].append(Example(str(line), " ".join(tree.leaves()), tree_to_line(tree)))
    return out


def right_branching(source: str) -> str:
    """Paper form of the right-branching tree over ``source``'s words."""
    words = [f"( {w} )" for w in source.split()]
    text = words[-1]
    for w in reversed(words[:-1]):
        text = f"( {w} {text} )"
    return text


def targets_for(examples: list[Example], fmt: str) -> list[tuple[str, str]]:
    pairs = []
    for ex in examples:
        paper = TASK.gold_target(ex, "paper")
        target = paper if fmt == "paper" else compact.to_compact(ex.source, paper, style=fmt)
        pairs.append((ex.source, target))
    return pairs


def _value(raw: str):
    """A --set/--variant value: JSON when it parses (numbers, true, null), else the string."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def task_format(fmt: str) -> str:
    return "paper" if fmt == "paper" else "compact"


def fidelity_for(fmt: str):
    """Mean agreement (x100) of outputs with their references, as the pipeline computes it."""
    tf = task_format(fmt)

    def fidelity(sources, references, outputs) -> float:
        total = 0.0
        for src, ref, out in zip(sources, references, outputs, strict=True):
            ref_paper = TASK.check(src, ref, tf).target
            total += TASK.agreement(src, ref_paper, TASK.check(src, out, tf))
        return 100.0 * total / max(1, len(sources))

    return fidelity


def evaluate(student, test: list[Example], fmt: str, constrained: bool) -> dict:
    constraint = None
    if constrained:
        constraint = compact.CompactConstraint(fmt) if fmt != "paper" else TASK.constraint("paper")
    started = time.perf_counter()
    outputs = student.generate([ex.source for ex in test], constraint=constraint)
    seconds = time.perf_counter() - started
    checked = [TASK.check(ex.source, out, task_format(fmt)) for ex, out in zip(test, outputs, strict=True)]
    scores = TASK.score(test, checked)
    as_generated = 100.0 * scores["valid"] / max(1, scores["n"])
    return {"f1": scores["f1"], "corpus_f1": scores["corpus_f1"], "valid": as_generated,
            "usable": scores["validity_rate"], "gen_s": seconds, "example": outputs[0]}


def run_variant(spec: str, common: list[str], train: list[Example], test: list[Example],
                seed: int, work: Path) -> dict:
    fmt, *overrides = spec.split()
    values = {}
    for item in common + overrides:
        key, _, raw = item.partition("=")
        values[key] = _value(raw)
    values["target_format"] = task_format(fmt)
    cfg = StudentConfig(**values)
    backend = Seq2SeqStudentBackend(cfg, task=TASK)
    pairs = targets_for(train, fmt)
    constraint = compact.CompactConstraint(fmt) if fmt != "paper" else None
    out_dir = work / spec.replace(" ", "_").replace("/", "-")
    summary = backend.train(pairs, out_dir, seed=seed, constraint=constraint,
                            fidelity_fn=fidelity_for(fmt))
    student = backend.load(out_dir)
    row = {"variant": spec, "params_m": summary["parameters"] / 1e6,
           "epochs": f"{summary['kept_epoch']}/{summary['epochs_run']}",
           "train_s": summary["wall_seconds"], "tok_s": summary["tokens_per_second"],
           "loss": summary["history"][summary["kept_epoch"] - 1]["loss"],
           "fidelity": summary["history"][summary["kept_epoch"] - 1]["score"]}
    for constrained in (True, False):
        tag = "c" if constrained else "u"
        res = evaluate(student, test, fmt, constrained)
        row.update({f"{tag}_{k}": v for k, v in res.items()})
    return row


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path("/work/shared/data/craft"))
    p.add_argument("--train", type=int, default=3000, help="training trees")
    p.add_argument("--test", type=int, default=200, help="held-out trees")
    p.add_argument("--min-words", type=int, default=5)
    p.add_argument("--max-words", type=int, default=25)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--variant", action="append", help="'FORMAT key=value ...' (repeatable)")
    p.add_argument("--set", action="append", default=[], help="override for every variant")
    p.add_argument("--work", type=Path, default=Path("/tmp/mckd_bench_students"))
    p.add_argument("--out", type=Path, help="also write the rows as JSON here")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(message)s")
    started = time.perf_counter()
    data = load_craft(args.data, args.min_words, args.max_words)
    rng = random.Random(args.seed)
    train = rng.sample(data["train"], min(args.train, len(data["train"])))
    test = rng.sample(data["test"], min(args.test, len(data["test"])))
    print(f"data: {len(train)} train / {len(test)} test trees of {args.min_words}-{args.max_words} "
          f"words ({time.perf_counter() - started:.0f}s to read)")
    rb = TASK.score(test, [TASK.check(ex.source, right_branching(ex.source)) for ex in test])
    print(f"right-branching baseline: paper F1 {rb['f1']:.1f}, corpus F1 {rb['corpus_f1']:.1f}")
    rows = []
    header = ("variant", "params_m", "epochs", "train_s", "tok_s", "loss", "fidelity", "c_f1",
              "c_valid", "c_gen_s", "u_f1", "u_valid", "u_usable")
    print(" | ".join(header))
    for spec in args.variant or ["words", "brackets", "paper"]:
        row = run_variant(spec, args.set, train, test, args.seed, args.work)
        rows.append(row)
        print(" | ".join(f"{row[h]:.2f}" if isinstance(row[h], float) else str(row[h]) for h in header))
        print(f"   e.g. constrained: {row['c_example'][:100]!r}")
        sys.stdout.flush()
    if args.out:
        args.out.write_text(json.dumps({"right_branching": rb, "rows": rows}, indent=1))
    print(f"total wall time {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
