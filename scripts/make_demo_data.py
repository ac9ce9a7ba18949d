"""Rebuild the CRAFT demo subset shipped in src/mckd/data/craft_demo/ (reproducible).

    python scripts/make_demo_data.py --craft /work/shared/data/craft

Runs the full CRAFT protocol in memory (mckd.tasks.constituency.craft.build_craft, seed 13),
keeps only sentences of 5-30 tokens from articles whose text is CC BY or a Creative Commons
public-domain dedication, and takes prefixes of the protocol's seeded random order: 250 + 50
labeled (nested) and all the remaining train sentences as unlabeled, 200 from dev, 400 from
test, and test_large = the first 1,000 of the same test order (its first 400 lines are
test.jsonl). Writes the dataset files, dataset.json, ATTRIBUTION.md and CRAFT's LICENSE.txt.
"""

from __future__ import annotations

import argparse
import csv
import shutil
from itertools import chain
from pathlib import Path

from mckd.core.hashing import file_fingerprint
from mckd.core.jsonl import write_json, write_jsonl
from mckd.data_prep.dataset_dir import DATASET_JSON, PreparedDataset, write_dataset_dir
from mckd.tasks.constituency.craft import build_craft
from mckd.tasks.constituency.prepare import source_entry

ROOT = Path(__file__).resolve().parents[1]
# unlabeled None = every eligible train sentence not in the labeled pool
SIZES = {"labeled": 250, "labeled_small": 50, "unlabeled": None, "dev": 200, "test": 400,
         "test_large": 1000}
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


def build_demo(craft: Path, seed: int
               ) -> tuple[PreparedDataset, dict[str, list], dict[str, str]]:
    """The demo dataset, the overlapping extra files (stem -> examples) and pmid -> licence."""
    full = build_craft(craft / "trees.txt", craft / "index.tsv", seed=seed)
    licences = allowed_licences(craft / "article_text_licenses.tsv")

    def eligible(examples):
        return [ex for ex in examples if ex.meta["pmid"] in licences
                and MIN_TOKENS <= len(ex.source.split()) <= MAX_TOKENS]

    train_order = eligible(full.files["labeled_250"] + full.files["unlabeled"])
    labeled = train_order[:SIZES["labeled"]]
    n_unlabeled = SIZES["unlabeled"]
    test_order = eligible(full.files["test"])
    files = {
        "labeled_50": labeled[:SIZES["labeled_small"]],
        "labeled_250": labeled,
        "unlabeled": train_order[SIZES["labeled"]:None if n_unlabeled is None
                                 else SIZES["labeled"] + n_unlabeled],
        "dev": eligible(full.files["dev"])[:SIZES["dev"]],
        "test": test_order[:SIZES["test"]],
    }
    # test_large repeats test.jsonl's examples; the dataset writer refuses ids shared outside
    # the labeled pools, so main() writes it next to the others and adds it to dataset.json
    extra = {"test_large": test_order[:SIZES["test_large"]]}
    if len(extra["test_large"]) < SIZES["test_large"]:
        raise SystemExit(f"only {len(extra['test_large'])} eligible test sentences")
    full_pool = {ex.id for ex in full.files["labeled_250"]}
    used = sorted({ex.meta["pmid"] for part in chain(files.values(), extra.values())
                   for ex in part})
    info = {
        "task": "constituency",
        "name": "craft_demo",
        "protocol": (
            "demo subset of the CRAFT protocol (dataset 'craft', seed "
            f"{seed}): only sentences of {MIN_TOKENS}-{MAX_TOKENS} tokens from articles whose text "
            "is CC BY or public domain; each file is a prefix of the protocol's seeded random "
            "order after that filter: labeled pools from train (nested), unlabeled = all the "
            "other train sentences, dev and test from the protocol's dev and test; "
            f"test_large = the first {SIZES['test_large']:,} of the same test order (test.jsonl "
            f"is its first {SIZES['test']} lines), for a larger evaluation"),
        "seed": seed,
        "filters": {"min_tokens": MIN_TOKENS, "max_tokens": MAX_TOKENS,
                    "article_text_licences": ["CC BY", "Creative Commons public domain"]},
        "counts": {stem: len(part) for stem, part in chain(files.items(), extra.items())},
        "derived_from": {
            "name": "craft", "seed": seed, "counts": full.info["counts"],
            "labeled_250_in_full_labeled_250": sum(ex.id in full_pool for ex in labeled)},
        "articles": {pmid: licences[pmid] for pmid in used},
        "sources": full.info["sources"]
        + [source_entry("licences", craft / "article_text_licenses.tsv")],
        "reading": full.info["reading"],
        "notes": full.info["notes"][:1],
    }
    return PreparedDataset(files=files, info=info), extra, {p: licences[p] for p in used}


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
takes prefixes of the protocol's random order: labeled 250 and 50 (nested), unlabeled = all
{unlabeled:,} other train sentences, dev {dev}, test {test}, and test_large = the first {test_large:,}
of the same test order (its first {test} lines are `test.jsonl`). `dataset.json` records the
details and the sha256 of every source file.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--craft", type=Path, default=Path("/work/shared/data/craft"),
                        help="folder with trees.txt, index.tsv, article_text_licenses.tsv "
                        "and LICENSE.txt")
    parser.add_argument("--out", type=Path, default=ROOT / "src/mckd/data/craft_demo")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    dataset, extra, articles = build_demo(args.craft, args.seed)
    info = write_dataset_dir(args.out, dataset)
    for stem, examples in extra.items():  # listed in dataset.json like the others
        path = args.out / f"{stem}.jsonl"
        rows = write_jsonl(path, (ex.to_dict() for ex in examples))
        info["files"][stem] = {"path": path.name, "rows": rows, "sha256": file_fingerprint(path)}
    write_json(args.out / DATASET_JSON, info)
    shutil.copyfile(args.craft / "LICENSE.txt", args.out / "LICENSE.txt")
    # distinct sentences: labeled_50 is inside labeled_250, test inside test_large
    n = sum(len(part) for stem, part in chain(dataset.files.items(), extra.items())
            if stem not in ("labeled_50", "test"))
    text = ATTRIBUTION.format(
        n=n, seed=args.seed, lo=MIN_TOKENS, hi=MAX_TOKENS,
        **{stem: len(part) for stem, part in chain(dataset.files.items(), extra.items())
           if stem in ("unlabeled", "dev", "test", "test_large")},
        articles="\n".join(f"- {pmid}: {lic}" for pmid, lic in articles.items()))
    (args.out / "ATTRIBUTION.md").write_text(text, encoding="utf-8")
    for path in args.out.iterdir():  # atomic writes create 0600 files; the package needs 0644
        path.chmod(0o644)
    size = sum(p.stat().st_size for p in args.out.iterdir())
    print(f"wrote {args.out}: {info['counts']}, {len(articles)} articles, {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
