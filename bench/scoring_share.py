"""How much of each student's time goes to per-epoch scoring (the checkpoint rule's fidelity)?

Reads finished run directories (or folders of ``seed_<s>`` runs) and prints, per student, the
epochs it ran, its training and scoring seconds (from the per-epoch history every student
records in ``mckd_student.json``), the scoring share and the size of the scored sample::

    python bench/scoring_share.py runs/snips-demo runs/craft-demo

The last row of each run sums its students. Scoring should be a small share of a student's
time: it decodes a fixed, seeded sample of ``student.fidelity_sample`` training pairs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _students(run: Path) -> list[tuple[str, dict]]:
    found = []
    for meta in sorted(run.rglob("mckd_student.json")):
        summary = json.loads(meta.read_text(encoding="utf-8")).get("summary") or {}
        if summary.get("history"):
            found.append((str(meta.parent.relative_to(run)), summary))
    return found


def _row(name: str, epochs: int, train: float, score: float, sample: str) -> str:
    share = 100.0 * score / max(train + score, 1e-9)
    return (f"| {name} | {epochs} | {train:.1f} | {score:.1f} | {share:.1f}% | "
            f"{train / max(epochs, 1):.2f} + {score / max(epochs, 1):.2f} | {sample} |")


def report(run: Path) -> list[str]:
    """Markdown rows for one run directory."""
    lines = []
    totals = [0, 0.0, 0.0]
    for name, summary in _students(run):
        history = summary["history"]
        train = sum(h.get("train_seconds") or 0.0 for h in history)
        score = sum(h.get("eval_seconds") or 0.0 for h in history)
        lines.append(_row(name, len(history), train, score,
                          f"{summary.get('eval_examples', '?')} of {summary.get('pairs', '?')}"))
        totals = [totals[0] + len(history), totals[1] + train, totals[2] + score]
    if lines:
        lines.append(_row("**all students**", totals[0], totals[1], totals[2], ""))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run directories")
    args = parser.parse_args()
    for run in args.runs:
        print(f"\n{run}\n")
        print("| student | epochs | training s | scoring s | scoring share | per epoch (s) "
              "| scored sample (pairs) |")
        print("|---|---|---|---|---|---|---|")
        rows = report(run)
        print("\n".join(rows) if rows else "| (no student history found) |")


if __name__ == "__main__":
    main()
