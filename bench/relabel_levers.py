"""Can a stage student relabel the part it never saw better than the teacher did?

MCKD gains over vanilla KD only if it can. This script takes a finished run directory (its
teacher labels, partitions and config), trains a fresh student per variant on the teacher's
labels of one part, relabels another part, and scores the relabels and the teacher's labels
of that part against gold (offline benchmarks only: the unlabeled inputs need gold)::

    python bench/relabel_levers.py runs/craft-demo --variant "" --variant "num_beams=4" \\
        --variant "tagger.mode=finetune max_epochs=6"

A variant is a space-separated list of ``student.`` overrides on top of the run's config.
``--parts K`` re-splits the run's unlabeled inputs into K seeded parts and trains on all but
the last one, which it relabels (what a stage student of ``mckd.partitions: K`` does);
``--train-fraction F`` trains on the first F of those (a learning curve on one held-out part).
Prints one row per variant: training pairs, relabel score vs the teacher's, seconds.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import tempfile
import time
from pathlib import Path

from mckd.config.loading import load_config
from mckd.pipeline.context import PARTITIONS, TEACHER_LABELS, read_labels
from mckd.pipeline.data import load_run_data
from mckd.pipeline.training import make_fidelity_fn
from mckd.students import STUDENTS
from mckd.tasks import get_task


def score(task, examples, sources, texts, fmt) -> float:
    """Mean paper-style example score (%) of ``texts`` against the examples' gold."""
    total = sum(task.example_score(ex, task.check(s, t, fmt))
                for ex, s, t in zip(examples, sources, texts, strict=True))
    return 100 * total / max(1, len(texts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="a finished run directory")
    parser.add_argument("--variant", action="append", default=[],
                        help="student overrides, e.g. 'num_beams=4 max_epochs=20'")
    parser.add_argument("--train-part", default="A")
    parser.add_argument("--relabel-part", default="B")
    parser.add_argument("--parts", type=int, default=0,
                        help="re-split into this many parts: train on all but the last")
    parser.add_argument("--train-fraction", type=float, default=1.0,
                        help="with --parts: train on this fraction of the other parts (a "
                        "learning curve on one held-out part)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    base = load_config(args.run / "config.yaml")
    task = get_task(base.task.name, **base.task.options)
    data = load_run_data(base, task)
    by_id = {ex.id: ex for ex in data.unlabeled}
    labels = read_labels(args.run / TEACHER_LABELS)
    parts = json.loads((args.run / PARTITIONS).read_text())["parts"]
    if args.parts:
        ids = sorted(i for part in parts.values() for i in part)
        random.Random(args.seed).shuffle(ids)
        cut = len(ids) * (args.parts - 1) // args.parts
        train_part, relabel_ids = ids[:round(cut * args.train_fraction)], ids[cut:]
    else:
        train_part, relabel_ids = parts[args.train_part], parts[args.relabel_part]
    train_ids = [i for i in train_part if labels[i]["target"] is not None]
    fmt = str(base.student.target_format)
    pairs = [(labels[i]["source"], task.convert(labels[i]["source"], labels[i]["target"], fmt))
             for i in train_ids]
    sources = [by_id[i].source for i in relabel_ids]
    examples = [by_id[i] for i in relabel_ids]
    teacher_texts = [task.convert(s, labels[i]["target"], fmt) if labels[i]["target"] else ""
                     for s, i in zip(sources, relabel_ids, strict=True)]
    print(f"teacher labels of the {len(relabel_ids)} relabeled inputs: "
          f"{score(task, examples, sources, teacher_texts, fmt):.2f}")
    print("| variant | pairs | relabel score | epochs | seconds |")
    print("|---|---|---|---|---|")
    for variant in args.variant or [""]:
        overrides = [f"student.{kv}" for kv in shlex.split(variant)]
        cfg = load_config(args.run / "config.yaml", overrides)
        backend = STUDENTS.get(cfg.student.backend)(cfg.student, task=task)
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            summary = backend.train(pairs, Path(tmp) / "s", seed=args.seed,
                                    constraint=task.constraint(fmt),
                                    fidelity_fn=make_fidelity_fn(task, fmt))
            student = backend.load(Path(tmp) / "s")
            texts = student.generate(sources, constraint=task.constraint(fmt))
        seconds = time.perf_counter() - started
        print(f"| {variant or '(run config)'} | {len(pairs)} | "
              f"{score(task, examples, sources, texts, fmt):.2f} | {summary['epochs_run']} | "
              f"{seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
