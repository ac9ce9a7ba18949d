"""The CRAFT demo subset shipped in the package is complete, consistent and licensed to ship."""

from __future__ import annotations

import json

import pytest
from nltk import Tree

from mckd.config.schema import builtin_data_root
from mckd.core.hashing import file_fingerprint
from mckd.core.jsonl import read_jsonl

DEMO = builtin_data_root() / "craft_demo"
INFO = json.loads((DEMO / "dataset.json").read_text(encoding="utf-8"))
FILES = {stem: list(read_jsonl(DEMO / entry["path"])) for stem, entry in INFO["files"].items()}
# text-licence classes of CRAFT's original 67 articles allowed in the demo (CC BY, public domain);
# the OUP non-commercial articles of the original 67 must never appear
OUP_NONCOMMERCIAL = {"15917436", "16221973", "16870721"}


def test_layout_counts_and_hashes():
    assert {stem: len(rows) for stem, rows in FILES.items()} == {
        "labeled_50": 50, "labeled_250": 250, "unlabeled": 4710, "dev": 200, "test": 400,
        "test_large": 1000}
    assert INFO["counts"] == {stem: len(rows) for stem, rows in FILES.items()}
    for entry in INFO["files"].values():
        assert entry["sha256"] == file_fingerprint(DEMO / entry["path"])
    assert (DEMO / "ATTRIBUTION.md").is_file() and (DEMO / "LICENSE.txt").is_file()
    assert "Creative Commons BY 3.0" in (DEMO / "LICENSE.txt").read_text()
    assert sum(p.stat().st_size for p in DEMO.iterdir()) < 3_500_000


@pytest.mark.slow  # rebuilds the shipped demo dataset
def test_nested_disjoint_and_filtered_as_recorded():
    ids = {stem: [row["id"] for row in rows] for stem, rows in FILES.items()}
    assert ids["labeled_50"] == ids["labeled_250"][:50]
    groups = [ids["labeled_250"], ids["unlabeled"], ids["dev"], ids["test"]]
    assert len({i for g in groups for i in g}) == sum(len(g) for g in groups)
    lo, hi = INFO["filters"]["min_tokens"], INFO["filters"]["max_tokens"]
    for rows in FILES.values():
        for row in rows:
            assert lo <= len(row["source"].split()) <= hi
            assert Tree.fromstring(row["gold"]).leaves() == row["source"].split()


def test_only_cc_by_or_public_domain_articles():
    pmids = {row["meta"]["pmid"] for rows in FILES.values() for row in rows}
    assert pmids <= set(INFO["articles"])
    assert not pmids & OUP_NONCOMMERCIAL
    assert set(INFO["articles"].values()) <= {"CC BY", "Creative Commons public-domain dedication"}
    attribution = (DEMO / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert all(pmid in attribution for pmid in pmids)
    assert "Bada" in attribution and "Verspoor" in attribution
