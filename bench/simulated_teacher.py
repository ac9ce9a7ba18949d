"""Calibration figures of the simulated teacher on real data its reference sample never saw.

For each (target_f1, systematic_share) it labels examples the reference never saw and prints
the mean sentence score as the pipeline measures it (the task's checker and metric, invalid =
0), its spread, the good-half / bad-half means, validity and repair rates, error counts and
timing. Per task (``--task``):

- ``constituency`` (default): CRAFT trees of the 30 articles added in CRAFT v4 (sentences of
  more than one token); the reference is 2,000 trees of CRAFT's original 67 articles;
- ``slots``: SNIPS's valid and test files (``--snips DIR``); the reference is the SNIPS demo's
  unlabeled file (its first 2,000 utterances, of SNIPS's train file);
- ``top``: TOP's test file (``--top DIR``); the reference is the TOP demo's unlabeled file
  (its first 2,000 trees, of TOP's eval file).

    python bench/simulated_teacher.py --craft /work/shared/data/craft
    python bench/simulated_teacher.py --craft DIR --n 3000 --targets 60 --shares 0.3
    python bench/simulated_teacher.py --task slots --snips /work/shared/data/snips
    python bench/simulated_teacher.py --task top --top /work/shared/data/top
    python bench/simulated_teacher.py --task slots --examples src/mckd/data/snips_demo/test.jsonl
    python bench/simulated_teacher.py --craft DIR --write-reference   # rebuild the reference

``--write-reference`` rebuilds the constituency reference from ``trees.txt`` + ``index.tsv``
with a fixed seed (the slot-filling and TOP references are files of the shipped demos).
"""

from __future__ import annotations

import argparse
import gzip
import random
import statistics
import time
from collections import Counter
from pathlib import Path

from nltk import Tree

from mckd.config.schema import builtin_data_root
from mckd.config.teacher import SimulatedTeacherConfig
from mckd.core.jsonl import read_jsonl
from mckd.core.records import Example
from mckd.tasks import get_task
from mckd.tasks.base import Task
from mckd.tasks.constituency.treebank import normalize_tree, tree_to_line
from mckd.teachers.simulated import SimulatedTeacher
from mckd.teachers.simulation.constituency.model import REFERENCE_FILE

REFERENCE_SIZE = 2000
REFERENCE_SEED = 20240811
#: the shipped demo whose dataset.json gives a task its label inventory
DEMOS = {"constituency": "craft_demo", "slots": "snips_demo", "top": "top_demo"}


def craft_examples(craft: Path, *, original: bool) -> list[Example]:
    """Normalised CRAFT trees of more than one token, from the original 67 articles or not."""
    index = [row.split("\t") for row in (craft / "index.tsv").read_text().splitlines()[1:]]
    out = []
    with (craft / "trees.txt").open(encoding="utf-8") as fh:
        for row, line in zip(index, fh):
            if (row[5] == "1") != original:
                continue
            tree = normalize_tree(Tree.fromstring(line))
            if tree is None or len(tree.leaves()) < 2:
                continue
            out.append(Example(id=f"craft-{row[0]}", source=" ".join(tree.leaves()),
                               gold=tree_to_line(tree)))
    return out


def write_reference(craft: Path) -> None:
    pool = craft_examples(craft, original=True)
    sample = random.Random(REFERENCE_SEED).sample(pool, REFERENCE_SIZE)
    REFERENCE_FILE.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(REFERENCE_FILE, "wb", mtime=0) as fh:
        fh.write("".join(ex.gold + "\n" for ex in sample).encode("utf-8"))
    print(f"wrote {REFERENCE_SIZE} of {len(pool)} trees to {REFERENCE_FILE}")


def task_with_inventory(name: str) -> Task:
    """The task as a run on its demo builds it (slot types / labels from dataset.json)."""
    task = get_task(name)
    task.load(str(builtin_data_root() / DEMOS[name] / "labeled_50.jsonl"))
    return task


def unseen_examples(args: argparse.Namespace) -> tuple[list[Example], str]:
    """The examples to label and what they are."""
    if args.examples:
        pool = [Example.from_dict(row) for path in args.examples for row in read_jsonl(path)]
        return pool, " + ".join(str(p) for p in args.examples)
    if args.task == "slots":
        from mckd.tasks.slots.prepare import read_slot_file

        pool = [ex for name in ("valid", "test")
                for ex in read_slot_file(args.snips / f"{name}.jsonl", f"snips-{name}")]
        return pool, "SNIPS valid + test utterances"
    if args.task == "top":
        from mckd.tasks.top.prepare import read_top_file

        return read_top_file(args.top / "test.jsonl", "top-test"), "TOP test trees"
    return craft_examples(args.craft, original=False), "CRAFT v4 trees"


def bench_one(task: Task, examples: list[Example], target: float, share: float, seed: int,
              knobs: dict[str, float]) -> None:
    config = SimulatedTeacherConfig(target_f1=target, systematic_share=share, **knobs)
    t0 = time.perf_counter()
    teacher = SimulatedTeacher(task, config, seed=seed)
    cal = teacher.calibration
    t1 = time.perf_counter()
    completions = list(teacher.complete(examples))
    t2 = time.perf_counter()
    scores, status, errors = [], Counter(), Counter()
    by_id = {ex.id: ex for ex in examples}
    for c in completions:
        ex = by_id[c.id]
        checked = task.check(ex.source, c.text)
        scores.append(100 * task.example_score(ex, checked))
        status[checked.status.value] += 1
        errors.update(c.meta["random_errors"])
        errors.update({f"rule:{k}": v for k, v in c.meta["systematic_rules_fired"].items()})
        for key in ("word_error", "malformed"):
            if c.meta[key]:
                errors[f"{key}:{c.meta[key]}"] += 1
        errors["truncated"] += c.meta["truncated"]
    ranked = sorted(scores)
    half = len(ranked) // 2
    n = len(scores)
    print(f"| {target:.0f} | {share:.1f} | {cal.achieved:.1f} | {statistics.fmean(scores):.1f} | "
          f"{statistics.pstdev(scores):.1f} | {statistics.fmean(ranked[half:]):.1f} / "
          f"{statistics.fmean(ranked[:half]):.1f} | {100 * status['valid'] / n:.1f} | "
          f"{100 * status['repaired'] / n:.1f} | {100 * status['invalid'] / n:.1f} | "
          f"{100 * cal.systematic_loss_share:.0f} | {len(cal.rules)} | {cal.offset:+.1f} | "
          f"{t1 - t0:.1f} | {1000 * (t2 - t1) / n:.2f} |")
    print("    errors:", ", ".join(f"{k}={v}" for k, v in sorted(errors.items())))
    print("    rules:", ", ".join(cal.rules) or "-")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=sorted(DEMOS), default="constituency")
    parser.add_argument("--craft", type=Path, help="CRAFT folder with trees.txt and index.tsv")
    parser.add_argument("--snips", type=Path, help="SNIPS folder with valid.jsonl, test.jsonl")
    parser.add_argument("--top", type=Path, help="TOP folder with test.jsonl")
    parser.add_argument("--n", type=int, default=3000, help="examples to label (a seeded sample)")
    parser.add_argument("--targets", type=float, nargs="+", default=[50.0, 60.0, 70.0])
    parser.add_argument("--shares", type=float, nargs="+", default=[0.0, 0.3, 0.7])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--calibration-size", type=int, default=1000)
    parser.add_argument("--length-weight", type=float, default=0.3)
    parser.add_argument("--examples", type=Path, nargs="+", default=None,
                        help="JSONL files of examples to label instead of the task's unseen "
                        "data, e.g. src/mckd/data/craft_demo/{unlabeled,test}.jsonl")
    parser.add_argument("--write-reference", action="store_true")
    args = parser.parse_args()
    source = {"constituency": "craft", "slots": "snips", "top": "top"}[args.task]
    if args.write_reference:
        if args.task != "constituency" or args.craft is None:
            parser.error("--write-reference rebuilds the constituency reference: give --craft")
        write_reference(args.craft)
        return
    if getattr(args, source) is None and not args.examples:
        parser.error(f"--{source} is required for --task {args.task} unless --examples is given")
    task = task_with_inventory(args.task)
    pool, what = unseen_examples(args)
    examples = random.Random(0).sample(pool, min(args.n, len(pool)))
    print(f"task {args.task}: {len(examples)} examples of {what}, teacher seed {args.seed}, "
          f"calibrated on {args.calibration_size} reference examples, length_weight "
          f"{args.length_weight}")
    print("| target | share | ref. mean | mean score | std | good / bad half | valid % | "
          "repaired % | invalid % | syst. loss % | rules | offset | calib. s | ms/ex |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for target in args.targets:
        for share in args.shares:
            bench_one(task, examples, target, share, args.seed,
                      {"calibration_size": args.calibration_size,
                       "length_weight": args.length_weight})


if __name__ == "__main__":
    main()
