"""Rebuild the TOP demo subset shipped in src/mckd/data/top_demo/ (reproducible).

    python scripts/make_top_demo.py --top /work/shared/data/top

Runs the full TOP protocol in memory (mckd.tasks.top.prepare.build_top, seed 13: pools and dev
from TOP's eval file, test from its test file) and takes prefixes of its seeded random order:
the labeled pools of 250 and 50 (nested, the same as the full protocol's), all the protocol's
unlabeled (3,712) and 200 dev from eval, 400 from test. Writes the dataset files, dataset.json,
ATTRIBUTION.md and LICENSE.txt (CC BY-SA, as the source requires: attribution and share-alike).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from demo_subset import demo_sentences, prefix_subset, write_demo

from mckd.tasks.top.prepare import build_top

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"unlabeled": None}  # None: the whole unlabeled file; the rest as in demo_subset.SIZES

LICENSE = """The TOP dataset (Gupta et al. 2018) is "Provided under the CC-BY-SA license. Please cite
the accompanying paper when using this dataset" (the dataset's README; it does not state a
version).

The files in this folder are an adaptation of it (a subset, converted to JSON lines) and are
licensed under the Creative Commons Attribution-ShareAlike 4.0 International licence
(CC BY-SA 4.0), which the share-alike terms of any version of CC BY-SA allow:

    https://creativecommons.org/licenses/by-sa/4.0/legalcode

You may share and adapt them for any purpose if you give appropriate credit (see
ATTRIBUTION.md), provide a link to the licence, indicate changes, and distribute your
contributions under the same licence. No warranties are given.
"""

ATTRIBUTION = """# TOP demo subset: attribution

This folder holds {n:,} utterances with hierarchical intent/slot trees from **TOP** (Task
Oriented Parsing), a dataset by Facebook AI released under **CC BY-SA** (see `LICENSE.txt`).
The files here are shared under the same licence (CC BY-SA 4.0).

Please cite:
- Gupta S, Shah R, Mohit M, Kumar A, Lewis M. *Semantic Parsing for Task Oriented Dialog
  using Hierarchical Representations.* EMNLP 2018.

Source of the files: github.com/cxuan2019/Top, commit 96fe11d11b2209f439cad23a81d5b8e057ebd6d8,
`data/eval.tsv` and `data/test.tsv` (the original TOP files: raw utterance, tokenised
utterance, tree). TOP's train file was not available, so training-side pools come from eval.

Changes: converted to one JSON line per utterance as an mckd example (`source` = tokenised
utterance, `gold` = tree unchanged, `meta.raw` = raw utterance); ids count the records of the
source file from 1; only a subset is kept.

How it was made: `python scripts/make_top_demo.py --top <folder with eval.jsonl, test.jsonl>`
runs the protocol of `mckd data top` (seed {seed}: eval shuffled, labeled pools of 250 and 50
from its start, then dev, the rest unlabeled; test shuffled) and keeps prefixes of each file:
labeled 250 and 50, unlabeled {unlabeled:,} and dev {dev} (from eval), test {test} (from test).
`dataset.json` records the details and the sha256 of every source file.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=Path, default=Path("/work/shared/data/top"),
                        help="folder with eval.jsonl and test.jsonl")
    parser.add_argument("--out", type=Path, default=ROOT / "src/mckd/data/top_demo")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    dataset = prefix_subset(build_top(args.top, seed=args.seed), "top", args.seed, sizes=SIZES,
                            licence="CC BY-SA 4.0 (adaptation of TOP, CC BY-SA)")
    counts = dataset.info["counts"]
    attribution = ATTRIBUTION.format(n=demo_sentences(dataset), seed=args.seed,
                                     **{k: counts[k] for k in ("unlabeled", "dev", "test")})
    write_demo(args.out, dataset, {"LICENSE.txt": LICENSE, "ATTRIBUTION.md": attribution})


if __name__ == "__main__":
    main()
