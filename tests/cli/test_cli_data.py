"""``mckd data``: exit codes, printed counts, and what lands on disk (CRAFT, PTB, ATIS)."""

from __future__ import annotations

import json
import shutil
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


PTB = FIXTURES / "ptb_mini"
ATIS = FIXTURES / "atis_mini"


def test_data_ptb_prints_counts_drops_and_missing_sections(tmp_path, capsys):
    out = tmp_path / "ptb"
    rc = main(["data", "ptb", "--dir", str(PTB), "--out", str(out), "--labeled", "2,5",
               "--unlabeled", "4"])
    printed = capsys.readouterr().out
    assert rc == 0
    assert printed.startswith("ptb: 19 sentences (train 12, dev 3, test 4)")
    assert "train not drawn            3 (in no file)" in printed
    assert "dropped 1: empty after normalisation (only -NONE- elements)" in printed
    assert "train sections missing from this copy: 04-20" in printed
    assert "(a complete copy gives train 39,832, dev 1,700, test 2,416)" in printed
    assert json.loads((out / "dataset.json").read_text())["counts"]["unlabeled"] == 4


def test_data_ptb_and_atis_defaults_are_the_papers():
    from mckd.cli.main import build_parser

    parser = build_parser()
    ptb = parser.parse_args(["data", "ptb", "--dir", "d", "--out", "o"])
    atis = parser.parse_args(["data", "atis", "--dir", "d", "--out", "o"])
    assert ptb.labeled == atis.labeled == (50, 250) and ptb.unlabeled == 20_000
    assert ptb.seed == atis.seed == 13 and not ptb.skip_malformed


def test_data_ptb_errors_exit_2_with_the_fix(tmp_path, capsys):
    assert main(["data", "ptb", "--dir", str(tmp_path / "none"), "--out", str(tmp_path / "o")]) == 2
    assert "expected the LDC Treebank-3 layout" in capsys.readouterr().err
    args = ["data", "ptb", "--dir", str(PTB), "--out", str(tmp_path / "o"), "--labeled", "2,5"]
    assert main([*args, "--unlabeled", "9"]) == 2
    assert "--unlabeled 7" in capsys.readouterr().err


def test_data_atis_both_layouts_print_the_same_counts(tmp_path, capsys):
    for layout in ("seq", "jsonl"):
        out = tmp_path / layout
        assert main(["data", "atis", "--dir", str(ATIS / layout), "--out", str(out),
                     "--labeled", "2,5"]) == 0
        printed = capsys.readouterr().out
        assert printed.startswith("atis: 19 sentences (train 12, dev 3, test 4)")
        assert "unlabeled.jsonl            7" in printed
        assert "(a complete copy gives train 4,478, dev 500, test 893)" in printed


def test_data_atis_misaligned_files_exit_2_naming_both(tmp_path, capsys):
    src = tmp_path / "atis"
    shutil.copytree(ATIS / "seq", src)
    label = src / "train" / "label"
    label.write_text(label.read_text() + "atis_flight\n")
    assert main(["data", "atis", "--dir", str(src), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{src / 'train' / 'seq.in'} has 12 lines but {label} has 13" in err


def test_readme_ptb_and_atis_commands_parse():
    from mckd.cli.main import build_parser

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    commands = [line.split()[1:] for line in readme.splitlines()
                if line.startswith(("mckd data ptb ", "mckd data atis "))]
    assert len(commands) == 2
    for argv in commands:
        assert build_parser().parse_args(argv).kind in ("ptb", "atis")
