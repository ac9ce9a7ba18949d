"""Rebuild the CRAFT demo subset shipped in src/mckd/data/craft_demo/ (reproducible).

    python scripts/make_demo_data.py --craft /work/shared/data/craft

Runs the full CRAFT protocol in memory (mckd.tasks.constituency.craft.build_craft, seed 13),
keeps only sentences of 5-30 tokens from articles whose text is CC BY or a Creative Commons
public-domain dedication, and takes prefixes of the protocol's seeded random order: 250 + 50
labeled (nested) and 2,000 unlabeled from train, 200 from dev, 400 from test. Writes the
dataset files, dataset.json, ATTRIBUTION.md and CRAFT's LICENSE.txt.
"""

from __future__ import annotations

import argparse
import csv
import shutil
from pathlib import Path

from mckd.data_prep.dataset_dir import PreparedDataset, write_dataset_dir
from mckd.tasks.constituency.craft import build_craft
from mckd.tasks.constituency.prepare import source_entry

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"labeled": 250, "labeled_small": 50, "unlabeled": 2000, "dev": 200, "test": 400}
MIN_TOKENS, MAX_TOKENS = 5, 30
PUBLIC_DOMAIN = "Creative Commons Public Domain"


def allowed_licences(path: Path) -> dict[str, str]:
    """pmid -> licence for articles whose text is CC BY or public domain; others are left out."""
    allowed = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            cls = row["text_license_class_from_nxml"]
            if cls == "CC-BY":
                allowed[row["pmid"]] = "CC BY"
            elif PUBLIC_DOMAIN in cls:
                allowed[row["pmid"]] = "Creative Commons public-domain dedication"
    return allowed


def build_demo(craft: Path, seed: int) -> tuple[PreparedDataset, dict[str, str]]:
    full = build_craft(craft / "trees.txt", craft / "index.tsv", seed=seed)
    licences = allowed_licences(craft / "article_text_licenses.tsv")

    def eligible(examples):
        return [ex for ex in examples if ex.meta["pmid"] in licences
                and MIN_TOKENS <= len(ex.source.split()) <= MAX_TOKENS]

    train_order = eligible(full.files["labeled_250"] + full.files["unlabeled"])
    labeled = train_order[:SIZES["labeled"]]
    files = {
        "labeled_50": labeled[:SIZES["labeled_small"]],
        "labeled_250": labeled,
        "unlabeled": train_order[SIZES["labeled"]:SIZES["labeled"] + SIZES["unlabeled"]],
        "dev": eligible(full.files["dev"])[:SIZES["dev"]],
        "test": eligible(full.files["test"])[:SIZES["test"]],
    }
    full_pool = {ex.id for ex in full.files["labeled_250"]}
    used = sorted({ex.meta["pmid"] for part in files.values() for ex in part})
    info = {
        "task": "constituency",
        "name": "craft_demo",
        "protocol": (
            "demo subset of the CRAFT protocol (dataset 'craft', seed "
            f"{seed}): only sentences of {MIN_TOKENS}-{MAX_TOKENS} tokens from articles whose text "
            "is CC BY or public domain; each file is a prefix of the protocol's seeded random "
            "order after that filter: labeled pools from train (nested), unlabeled = the next "
            "train sentences, dev and test from the protocol's dev and test"),
        "seed": seed,
        "filters": {"min_tokens": MIN_TOKENS, "max_tokens": MAX_TOKENS,
                    "article_text_licences": ["CC BY", "Creative Commons public domain"]},
        "counts": {stem: len(part) for stem, part in files.items()},
        "derived_from": {
            "name": "craft", "seed": seed, "counts": full.info["counts"],
            "labeled_250_in_full_labeled_250": sum(ex.id in full_pool for ex in labeled)},
        "articles": {pmid: licences[pmid] for pmid in used},
        "sources": full.info["sources"]
        + [source_entry("licences", craft / "article_text_licenses.tsv")],
        "reading": full.info["reading"],
        "notes": full.info["notes"][:1],
    }
    return PreparedDataset(files=files, info=info), {p: licences[p] for p in used}


ATTRIBUTION = """# CRAFT demo subset: attribution

This folder holds {n:,} sentences with constituency trees from the **CRAFT corpus v5.0.2**
(Colorado Richly Annotated Full-Text corpus, github.com/UCDenver-ccp/CRAFT, commit
2abe82b8bb8089448b84937d5f61d8c218011322). The CRAFT annotations (the treebank) are licensed
under the **Creative Commons Attribution 3.0** licence (see `LICENSE.txt`, copied verbatim).
The trees were changed: empty elements and function tags removed, the outer bracket unwrapped,
hair/thin/no-break spaces removed from words, one tree per JSON line.

Please cite:
- Bada M, Eckert M, Evans D, et al. *Concept annotation in the CRAFT corpus.* BMC
  Bioinformatics 13:161 (2012).
- Verspoor K, Cohen KB, Lanfranchi A, et al. *A corpus of full-text journal articles is a
  robust evaluation tool for revealing differences in performance of biomedical natural
  language processing tools.* BMC Bioinformatics 13:207 (2012).

The sentence text comes from PubMed Central Open Access articles, each under its own licence.
Only articles whose text is CC BY or a Creative Commons public-domain dedication were used
(articles under Oxford University Press non-commercial terms, the early BioMed Central
verbatim-copying notice or a bare copyright line were left out). Articles used (PubMed id:
licence of the article text):

{articles}

How it was made: `python scripts/make_demo_data.py --craft <CRAFT data folder>` runs the
paper's CRAFT protocol (original 67 articles, trees with more than one token, seeded random
50/10/40 split, seed {seed}), keeps sentences of {lo}-{hi} tokens from the articles above, and
takes prefixes of the protocol's random order; `dataset.json` records the details and the
sha256 of every source file.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--craft", type=Path, default=Path("/work/shared/data/craft"),
                        help="folder with trees.txt, index.tsv, article_text_licenses.tsv "
                        "and LICENSE.txt")
    parser.add_argument("--out", type=Path, default=ROOT / "src/mckd/data/craft_demo")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    dataset, articles = build_demo(args.craft, args.seed)
    info = write_dataset_dir(args.out, dataset)
    shutil.copyfile(args.craft / "LICENSE.txt", args.out / "LICENSE.txt")
    n = sum(len(part) for stem, part in dataset.files.items() if stem != "labeled_50")
    text = ATTRIBUTION.format(
        n=n, seed=args.seed, lo=MIN_TOKENS, hi=MAX_TOKENS,
        articles="\n".join(f"- {pmid}: {lic}" for pmid, lic in articles.items()))
    (args.out / "ATTRIBUTION.md").write_text(text, encoding="utf-8")
    for path in args.out.iterdir():  # atomic writes create 0600 files; the package needs 0644
        path.chmod(0o644)
    size = sum(p.stat().st_size for p in args.out.iterdir())
    print(f"wrote {args.out}: {info['counts']}, {len(articles)} articles, {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
