"""Benchmark: time the CRAFT protocol and sweep every CRAFT tree through the round trips.

    python bench/craft_prepare.py --craft /work/shared/data/craft

1. Times ``prepare_craft`` on the full treebank (written to a temporary directory) and prints
   the counts per split and what was dropped.
2. For every tree of the file: ``normalize_tree`` -> ``tree_to_line`` -> ``Tree.fromstring``
   must give an equal tree; and, when ``mckd.tasks.constituency.linearize`` is available,
   ``to_paper`` -> ``from_paper`` -> ``to_paper`` must be identical with the same words (and
   the same for ``to_labeled``/``from_labeled``).
   Prints how many pass (all must) and the first failures.
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
from pathlib import Path

from nltk import Tree

from mckd.tasks.constituency.craft import prepare_craft
from mckd.tasks.constituency.treebank import normalize_tree, read_treebank, tree_to_line


def time_prepare(craft: Path, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        info = prepare_craft(craft / "trees.txt", craft / "index.tsv", Path(tmp) / "craft",
                             seed=seed)
        seconds = time.perf_counter() - start
    print(f"prepare_craft: {seconds:.1f} s (seed {seed})")
    for stem, n in info["counts"].items():
        print(f"  {stem:<12} {n:>7,}")
    for reason, n in info["dropped"].items():
        print(f"  dropped {n:,}: {reason}")


def sweep(craft: Path) -> None:
    start = time.perf_counter()
    read = read_treebank(craft / "trees.txt")
    has_linearize = importlib.util.find_spec("mckd.tasks.constituency.linearize") is not None
    if has_linearize:
        from mckd.tasks.constituency.linearize import (
            from_labeled,
            from_paper,
            to_labeled,
            to_paper,
        )
    n_trees, n_empty, line_ok, paper_ok, labeled_ok, fails = 0, 0, 0, 0, 0, []
    for line, raw in read.trees:
        n_trees += 1
        tree = normalize_tree(raw)
        if tree is None:
            n_empty += 1
            continue
        if Tree.fromstring(tree_to_line(tree)) == tree:
            line_ok += 1
        else:
            fails.append((line, "tree_to_line round trip"))
        if has_linearize:
            paper = to_paper(tree)
            again = to_paper(from_paper(paper))
            if again == paper and from_paper(again).leaves() == tree.leaves():
                paper_ok += 1
            else:
                fails.append((line, f"paper round trip: {paper[:60]} vs {again[:60]}"))
            labeled = to_labeled(tree)
            if to_labeled(from_labeled(labeled)) == labeled:
                labeled_ok += 1
            else:
                fails.append((line, f"labeled round trip: {labeled[:60]}"))
    n_checked = n_trees - n_empty
    print(f"round-trip sweep over {n_trees:,} trees ({n_empty} empty after normalisation), "
          f"{time.perf_counter() - start:.1f} s")
    print(f"  normalize -> tree_to_line -> fromstring equal: {line_ok:,}/{n_checked:,}")
    if has_linearize:
        print("  to_paper -> from_paper -> to_paper identical, words kept: "
              f"{paper_ok:,}/{n_checked:,}")
        print(f"  to_labeled -> from_labeled -> to_labeled identical: {labeled_ok:,}/{n_checked:,}")
    else:
        print("  paper round trip: skipped (mckd.tasks.constituency.linearize not present)")
    for line, why in fails[:10]:
        print(f"  FAIL line {line}: {why}")


def main() -> None:
    parser = argparse.ArgumentParser(description="time the CRAFT protocol; round-trip sweep")
    parser.add_argument("--craft", type=Path, default=Path("/work/shared/data/craft"),
                        help="folder with trees.txt and index.tsv")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    time_prepare(args.craft, args.seed)
    sweep(args.craft)


if __name__ == "__main__":
    main()
