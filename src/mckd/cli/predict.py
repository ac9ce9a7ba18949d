"""``mckd predict``: a trained student labels new inputs from a file or stdin."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mckd.core.errors import DataError, MckdError

HELP = """Label new inputs with a trained student (a run's final/ folder or any stage student).

Input: a plain-text file with one input per line, "-" for plain text on stdin, a .jsonl file
with a "source" field per line (optional "id"), or a saved Hugging Face dataset folder.
Plain text is tokenized the way the task's data is: Penn Treebank style for constituency
parsing (nltk's Treebank tokenizer: "retina." -> "retina .", "isn't" -> "is n't", brackets as
-LRB- -RRB-), punctuation split off at word edges for slot filling and TOP ("Louis?" ->
"Louis ?"); --pretokenized keeps each line's space-separated tokens as they are. Sources from
.jsonl and dataset folders are taken as already tokenized.

Output: one JSON object per input on stdout or in --output: id, source (the tokens the student
read), raw (the student's output, each input word followed by its symbol: "The ((X cells X)
..."), target (the task's format), status and reason; unparsable outputs are kept with their
reason."""


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("predict", help="label new inputs with a trained student",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("student", help="student folder (e.g. runs/craft-demo/final)")
    p.add_argument("inputs", nargs="?", default="-", help="input file or '-' for stdin")
    p.add_argument("-o", "--output", help="write here instead of stdout (.jsonl, or a folder with --format hf)")
    p.add_argument("--format", choices=("jsonl", "hf"), default="jsonl", help="output format")
    p.add_argument("--task", help="task name, if the student folder does not record it")
    p.add_argument("--unconstrained", action="store_true",
                   help="decode without the task's well-formedness constraint")
    p.add_argument("--pretokenized", action="store_true",
                   help="plain-text inputs are already tokenized (tokens separated by spaces)")
    return p


def _read_inputs(spec: str) -> tuple[list[dict], bool]:
    """(rows ``{"id", "source"}``, whether they are plain text, still to be tokenized)."""
    from mckd.core.io import is_hf_dataset_dir, read_records

    if spec == "-":
        lines = sys.stdin.read().splitlines()
        return _plain(lines), True
    path = Path(spec)
    if path.suffix == ".jsonl" or is_hf_dataset_dir(path):
        rows = read_records(path)
        for n, row in enumerate(rows, 1):
            if not isinstance(row.get("source"), str) or not row["source"].strip():
                raise DataError("missing or empty 'source' field; each row needs the input text",
                                path=str(path), line=n)
        return [{"id": str(r.get("id", n)), "source": " ".join(r["source"].split())}
                for n, r in enumerate(rows, 1)], False
    if not path.exists():
        raise DataError("not found; check the path", path=str(path))
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text; re-encode the file as UTF-8", path=str(path)) from None
    return _plain(lines), True


def _plain(lines: list[str]) -> list[dict]:
    return [{"id": str(i), "source": " ".join(line.split())}
            for i, line in enumerate(lines, 1) if line.strip()]


def run(args: argparse.Namespace) -> int:
    from mckd.pipeline.predict import load_trained_student, predict_records

    rows, plain = _read_inputs(args.inputs)
    if not rows:
        raise MckdError(f"no inputs found in {args.inputs!r}; give one input per line")
    student = load_trained_student(Path(args.student), task_name=args.task)
    if plain and not args.pretokenized:
        rows = [{**r, "source": student.task.tokenize(r["source"])} for r in rows]
    results = predict_records(student, rows, constrained=not args.unconstrained)
    if args.output:
        from mckd.core.io import write_records

        write_records(args.output, results, fmt=args.format)
        counts = {s: sum(r["status"] == s for r in results) for s in ("valid", "repaired", "invalid")}
        print(f"wrote {len(results)} predictions to {args.output} "
              f"(valid {counts['valid']}, repaired {counts['repaired']}, invalid {counts['invalid']})",
              file=sys.stderr)
    else:
        for r in results:
            print(json.dumps(r, ensure_ascii=False))
    return 0
