"""``mckd export``: a run's pseudolabels as JSONL or a Hugging Face dataset."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mckd.core.errors import MckdError

HELP = """Export the pseudolabels of a run's unlabeled inputs, for your own tooling.

--labels teacher   the teacher's labels (teacher/labels.jsonl, unlabeled split only)
--labels final     the labels the final student trained on (the last collaborative stage's
                   relabels; the teacher's for a stages=1 run)
--labels stage_K   the relabels of collaborative stage K (both parts)

Each row: id, source, target (canonical form; null when the label was invalid), raw, status,
reason, origin and meta (a JSON string in the Hugging Face format, so every row has one schema)."""

COLUMNS = ("id", "source", "target", "raw", "status", "reason", "origin")


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("export", help="export a run's pseudolabels (JSONL or HF dataset)",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", type=Path, help="run directory (e.g. runs/craft-demo)")
    p.add_argument("--labels", default="final", help="teacher, final or stage_K (default final)")
    p.add_argument("-o", "--output", required=True, help=".jsonl file, or a folder with --format hf")
    p.add_argument("--format", choices=("jsonl", "hf"), default="jsonl", help="output format")
    return p


def label_files(run: Path, which: str) -> list[Path]:
    """The label files behind ``which`` in ``run`` (teacher, final or stage_K).

    Raises:
        MckdError: not a run directory, ``which`` is not one of the run's labels (the message
            lists those the run has), or they are not written yet.
    """
    if not (run / "manifest.json").is_file():
        raise MckdError(f"{run} is not a run directory (no manifest.json); give runs/<name>")
    planned = _planned_stages(run)
    written = [name for name in ["teacher", *planned] if _files(run, name)[1]]
    have = f"this run has written: {', '.join(written) or 'none yet'}"
    if which == "final":
        which = planned[-1] if planned else "teacher"
    if which != "teacher" and which not in planned:
        stages = len(planned) + 1
        plan = (f"its collaborative stages are {', '.join(planned)}" if planned
                else "it has no collaborative stage")
        raise MckdError(f"--labels {which!r}: this is a {stages}-stage run, so {plan}; choose "
                        f"teacher, final or one of those ({have})")
    files, complete = _files(run, which)
    if not complete:
        raise MckdError(f"{which} labels are not in {run} yet ({have}); finish the run first "
                        "(`mckd run CONFIG` resumes it)")
    return files


def _planned_stages(run: Path) -> list[str]:
    """``stage_1 .. stage_{K-1}`` of the run's config (``mckd.stages`` = K); the stage folders
    on disk when the config cannot be read."""
    import yaml

    try:
        stages = int(yaml.safe_load((run / "config.yaml").read_text(encoding="utf-8"))
                     ["mckd"]["stages"])
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError):
        found = [p.name for p in run.glob("stage_*") if p.name[6:].isdigit()]
        return sorted(found, key=lambda name: int(name[6:]))
    return [f"stage_{k}" for k in range(1, stages)]


def _files(run: Path, which: str) -> tuple[list[Path], bool]:
    """(label files of ``which``, whether they are all written)."""
    if which == "teacher":
        files = [run / "teacher" / "labels.jsonl"]
    else:
        files = sorted((run / which).glob("*/relabels.jsonl"))
    return files, bool(files) and all(f.is_file() for f in files)


def run(args: argparse.Namespace) -> int:
    from mckd.core.io import write_records
    from mckd.core.jsonl import read_jsonl

    rows = []
    for path in label_files(args.run, args.labels):
        for row in read_jsonl(path):
            if row.get("split", "unlabeled") != "unlabeled":
                continue
            out = {k: row.get(k) for k in COLUMNS}
            out["origin"] = out["origin"] or path.parent.name
            meta = row.get("meta") or {}
            out["meta"] = json.dumps(meta, ensure_ascii=False) if args.format == "hf" else meta
            rows.append(out)
    write_records(args.output, rows, fmt=args.format)
    invalid = sum(r["target"] is None for r in rows)
    print(f"wrote {len(rows)} {args.labels} labels ({invalid} invalid) to {args.output}", file=sys.stderr)
    return 0
