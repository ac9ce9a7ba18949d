"""``mckd data top``: pools and dev from eval, test = test, printed counts, clear errors."""

from __future__ import annotations

import json

from mckd.cli.main import main
from mckd.config.schema import builtin_data_root
from mckd.core.jsonl import read_jsonl
from mckd.tasks.top.task import TopTask


def write_source(folder, n_eval=14, n_test=6):
    """TOP-style source files made of shipped demo examples."""
    demo = list(read_jsonl(builtin_data_root() / "top_demo" / "unlabeled.jsonl"))
    folder.mkdir()
    for name, rows in (("eval", demo[:n_eval]), ("test", demo[n_eval:n_eval + n_test])):
        lines = [json.dumps({"input": r["source"], "output": r["gold"],
                             "raw": r["meta"]["raw"]}) for r in rows]
        (folder / f"{name}.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def test_data_top_builds_the_pools_and_prints_counts(tmp_path, capsys):
    src, out = write_source(tmp_path / "top"), tmp_path / "out"
    args = ["data", "top", "--dir", str(src), "--out", str(out), "--labeled", "2,4",
            "--dev-size", "3"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("top: 20 sentences (train 11, dev 3, test 6)")
    info = json.loads((out / "dataset.json").read_text())
    assert info["counts"]["unlabeled"] == 7 and info["task"] == "top"
    assert info["labels"]["intents"] and all(x.startswith("IN:") for x in info["labels"]["intents"])
    task = TopTask()
    files = {s: task.load(str(out / f"{s}.jsonl"))
             for s in ("labeled_2", "labeled_4", "unlabeled", "dev", "test")}
    assert files["labeled_4"][:2] == files["labeled_2"]
    eval_ids = {e.id for s in ("labeled_4", "unlabeled", "dev") for e in files[s]}
    assert eval_ids == {f"top-eval-{i:05d}" for i in range(1, 15)}
    assert {e.id for e in files["test"]} == {f"top-test-{i:05d}" for i in range(1, 7)}


def test_bad_tree_exits_2_naming_file_and_line(tmp_path, capsys):
    src = write_source(tmp_path / "top")
    lines = (src / "eval.jsonl").read_text().splitlines()
    row = json.loads(lines[5])
    row["output"] = row["output"].replace("[IN:", "[INTENT:", 1)
    lines[5] = json.dumps(row)
    (src / "eval.jsonl").write_text("\n".join(lines) + "\n")
    assert main(["data", "top", "--dir", str(src), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{src / 'eval.jsonl'}:6: gold is not a well-formed TOP tree" in err


def test_too_small_for_dev_exits_2(tmp_path, capsys):
    src = write_source(tmp_path / "top")
    assert main(["data", "top", "--dir", str(src), "--out", str(tmp_path / "o"),
                 "--labeled", "4", "--dev-size", "10"]) == 2
    assert "use a smaller --dev-size" in capsys.readouterr().err
