"""Summarise reference runs for bench/refactor_check.sh: every metrics.json without timings and
memory figures, and the sha256 of every student checkpoint and label/prediction file.

    python bench/refactor_summary.py OUT_DIR   # writes OUT_DIR/summary.txt
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

# scored_inputs fingerprints a student folder, whose mckd_student.json records training times
VOLATILE = ("seconds", "peak_rss_mb", "peak_gpu_mb", "tokens_per_second", "steps",
            "scored_inputs")
HASHED = ("model.safetensors", "head.safetensors", "relabels.jsonl", "predictions.jsonl",
          "labels.jsonl", "partitions.json")


def stable(obj):
    """``obj`` without wall times (``*_s``, seconds, tokens/s) and memory figures."""
    if isinstance(obj, dict):
        return {k: stable(v) for k, v in obj.items()
                if k not in VOLATILE and not k.endswith("_s")}
    if isinstance(obj, list):
        return [stable(v) for v in obj]
    return obj


def main(out: Path) -> None:
    lines = []
    for run in ("tagger", "seq2seq"):
        for path in sorted((out / run).rglob("*")):
            rel = path.relative_to(out)
            if path.name == "metrics.json":
                data = stable(json.loads(path.read_text(encoding="utf-8")))
                lines.append(f"{rel} {json.dumps(data, sort_keys=True)}")
            elif path.name in HASHED:
                lines.append(f"{rel} sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}")
    (out / "summary.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{out / 'summary.txt'}: {len(lines)} lines")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
