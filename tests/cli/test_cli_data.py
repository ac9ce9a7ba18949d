"""``mckd data``: exit codes, printed counts, and what lands on disk."""

from __future__ import annotations

import json
from pathlib import Path

from mckd.cli.main import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TREES = FIXTURES / "craft_mini" / "trees.txt"
INDEX = FIXTURES / "craft_mini" / "index.tsv"


def test_data_craft_prints_counts_and_writes_the_directory(tmp_path, capsys):
    out = tmp_path / "craft"
    rc = main(["data", "craft", "--treebank", str(TREES), "--index", str(INDEX), "--out", str(out),
               "--seed", "5", "--labeled", "5,10"])
    printed = capsys.readouterr().out
    assert rc == 0
    assert "craft: 39 sentences (train 19, dev 3, test 17); the paper reports 21,121" in printed
    assert "labeled_10.jsonl" in printed and "dropped 6: fewer than 2 tokens" in printed
    assert f"wrote {out}/" in printed
    info = json.loads((out / "dataset.json").read_text())
    assert info["seed"] == 5 and info["counts"]["unlabeled"] == 9


def test_data_treebank_with_options(tmp_path, capsys):
    out = tmp_path / "tb"
    rc = main(["data", "treebank", str(TREES), "--out", str(out), "--labeled", "3",
               "--split", "0.6,0.2,0.2", "--max-tokens", "25", "--name", "mini"])
    printed = capsys.readouterr().out
    assert rc == 0
    info = json.loads((out / "dataset.json").read_text())
    assert printed.startswith(f"mini: {info['counts']['sentences']} sentences")
    assert info["filters"] == {"min_tokens": 2, "max_tokens": 25}
    assert "more than 25 tokens" in info["dropped"]


def test_malformed_tree_exits_2_naming_the_line_and_skip_flag_recovers(tmp_path, capsys):
    lines = TREES.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace("(", "", 1)
    bad = tmp_path / "bad.txt"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["data", "craft", "--treebank", str(bad), "--index", str(INDEX), "--labeled", "5"]
    assert main([*args, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:5: malformed tree" in err and "--skip-malformed" in err
    assert main([*args, "--out", str(tmp_path / "y"), "--skip-malformed"]) == 0
    assert "dropped 1: malformed, skipped (--skip-malformed)" in capsys.readouterr().out


def test_missing_file_exits_2(tmp_path, capsys):
    rc = main(["data", "treebank", str(tmp_path / "none.mrg"), "--out", str(tmp_path / "o")])
    assert rc == 2
    assert "not found" in capsys.readouterr().err
