"""``mckd predict``: a trained student labels new inputs from a file or stdin."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mckd.core.errors import DataError, MckdError

HELP = """Label new inputs with a trained student (a run's final/ folder or any stage student).

Input: a .jsonl file with a "source" field per line (optional "id"), a saved Hugging Face
dataset folder, a plain-text file with one input per line (tokens separated by spaces), or "-"
for plain text on stdin. Output: one JSON object per input (id, source, raw, target, status,
reason) on stdout or in --output; unparsable outputs are kept with their reason."""


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
    return p


def _read_inputs(spec: str) -> list[dict]:
    from mckd.core.io import is_hf_dataset_dir, read_records

    if spec == "-":
        lines = sys.stdin.read().splitlines()
        return [{"id": str(i), "source": " ".join(line.split())} for i, line in enumerate(lines, 1) if line.strip()]
    path = Path(spec)
    if path.suffix == ".jsonl" or is_hf_dataset_dir(path):
        rows = read_records(path)
        for n, row in enumerate(rows, 1):
            if not isinstance(row.get("source"), str) or not row["source"].strip():
                raise DataError("missing or empty 'source' field; each row needs the input text",
                                path=str(path), line=n)
        return [{"id": str(r.get("id", n)), "source": " ".join(r["source"].split())} for n, r in enumerate(rows, 1)]
    if not path.exists():
        raise DataError("not found; check the path", path=str(path))
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text; re-encode the file as UTF-8", path=str(path)) from None
    return [{"id": str(i), "source": " ".join(line.split())} for i, line in enumerate(lines, 1) if line.strip()]


def run(args: argparse.Namespace) -> int:
    from mckd.pipeline.predict import load_trained_student, predict_records

    rows = _read_inputs(args.inputs)
    if not rows:
        raise MckdError(f"no inputs found in {args.inputs!r}; give one input per line")
    student = load_trained_student(Path(args.student), task_name=args.task)
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
