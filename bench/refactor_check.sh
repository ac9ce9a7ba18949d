#!/usr/bin/env bash
# Reference check for refactors: small CRAFT demo runs (tagger and seq2seq students, simulated
# teacher) whose metrics and student weights must not change under a behaviour-preserving refactor.
#
#   bash bench/refactor_check.sh SRC_DIR OUT_DIR [PYTHON]
#
# SRC_DIR is the checkout's src/ (put on PYTHONPATH); OUT_DIR gets one run per backend plus
# hashes.txt (sha256 of every student checkpoint) and metrics.txt (every metrics.json).
# Runs with cwd $WORK (default OUT_DIR/work) so the tagger's feature cache (cache/features.sqlite) is local;
# copy an existing cache there first to skip the encoder pass. Compare two OUT_DIRs with
#   diff OUT_A/summary.txt OUT_B/summary.txt
set -euo pipefail
src=$(cd "$1" && pwd)
out=$(mkdir -p "$2" && cd "$2" && pwd)
py=${3:-python}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK:-$out/work}   # WORK=dir: share one feature cache between checks
mkdir -p "$work/cache"
cd "$work"
common=(data.max_unlabeled=600 student.max_epochs=2 student.min_epochs=1 "mckd.sweep=[2]" baselines.sft=true)
start=$(date +%s)
PYTHONPATH="$src" nice -n 15 "$py" -m mckd run "$repo/examples/craft-demo.yaml" \
  output_dir="$out/tagger" "${common[@]}" > "$out/tagger.log" 2>&1
mid=$(date +%s)
PYTHONPATH="$src" nice -n 15 "$py" -m mckd run "$repo/examples/craft-demo.yaml" \
  output_dir="$out/seq2seq" "${common[@]}" student.backend=seq2seq student.parallel_steps=1 \
  student.dropout=0.1 > "$out/seq2seq.log" 2>&1
end=$(date +%s)
"$py" "$repo/bench/refactor_summary.py" "$out"
echo "tagger $((mid - start)) s, seq2seq $((end - mid)) s" | tee "$out/times.txt"
