"""Rebuild the SNIPS demo subset shipped in src/mckd/data/snips_demo/ (reproducible).

    python scripts/make_snips_demo.py --snips /work/shared/data/snips

Runs the full SNIPS protocol in memory (mckd.tasks.slots.prepare.build_snips, seed 13) and
takes prefixes of its seeded random order: the labeled pools of 250 and 50 (nested, the same
as the full protocol's) and 10,000 unlabeled from train, 200 from dev (= valid), 400 from test.
The whole unlabeled pool (12,834) would make unlabeled.jsonl 3.13 MB; 10,000 keep it under 3 MB.
Writes the dataset files, dataset.json (with the slot-type inventory), ATTRIBUTION.md and the
CC0 licence of the source.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from demo_subset import demo_sentences, prefix_subset, write_demo

from mckd.tasks.slots.prepare import build_snips

ROOT = Path(__file__).resolve().parents[1]
LICENCE = "LICENSE_CC0_from_sonos_nlu-benchmark.txt"
SIZES = {"unlabeled": 10_000}  # the rest as in demo_subset.SIZES

ATTRIBUTION = """# SNIPS demo subset: attribution

This folder holds {n:,} utterances with slot annotations (BIO tags) from the **Snips NLU
benchmark** (2017-06 custom intent engines), in the train/valid/test split of Goo et al. (2018).

- Original data: github.com/sonos/nlu-benchmark (formerly snipsco), commit
  b86ac7f1577868c42158d0dec77db50956046696, folder `2017-06-custom-intent-engines`, released
  under **CC0 1.0 Universal** (`{licence}`, copied verbatim).
- Split and tokenisation: github.com/MiuLab/SlotGated-SLU, commit
  61f0307c729b1fad479ef1de94aa5ac5dee601b0, `data/snips/{{train,valid,test}}/{{seq.in,seq.out,label}}`.

The Snips benchmark asks that any publication based on it cite:
- Coucke A, Saade A, Ball A, et al. *Snips Voice Platform: an embedded Spoken Language
  Understanding system for private-by-design voice interfaces.* arXiv:1805.10190 (2018).

Please also cite the split:
- Goo C-W, Gao G, Hsu Y-K, et al. *Slot-Gated Modeling for Joint Slot Filling and Intent
  Prediction.* NAACL 2018.

Changes: one JSON line per utterance as an mckd example (`source` = words, `gold` = BIO tags,
`meta.intent` = intent); ids count the records of the source file from 1.

How it was made: `python scripts/make_snips_demo.py --snips <folder with train/valid/test.jsonl>`
runs the protocol of `mckd data snips` (seed {seed}: train shuffled, labeled pools from its
start, the rest unlabeled; valid and test shuffled) and keeps prefixes of each file: labeled
250 and 50, unlabeled {unlabeled:,}, dev {dev}, test {test}. `dataset.json` records the slot-type
inventory and the sha256 of every source file.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snips", type=Path, default=Path("/work/shared/data/snips"),
                        help=f"folder with train.jsonl, valid.jsonl, test.jsonl and {LICENCE}")
    parser.add_argument("--out", type=Path, default=ROOT / "src/mckd/data/snips_demo")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    dataset = prefix_subset(build_snips(args.snips, seed=args.seed), "snips", args.seed,
                            sizes=SIZES)
    counts = dataset.info["counts"]
    attribution = ATTRIBUTION.format(n=demo_sentences(dataset), licence=LICENCE, seed=args.seed,
                                     **{k: counts[k] for k in ("unlabeled", "dev", "test")})
    licence = (args.snips / LICENCE).read_text(encoding="utf-8")
    write_demo(args.out, dataset, {LICENCE: licence, "ATTRIBUTION.md": attribution})


if __name__ == "__main__":
    main()
