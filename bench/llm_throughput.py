"""Benchmark: the OpenAI teacher's throughput, and a kill -9 / rerun against a loopback server.

    python bench/llm_throughput.py                      # 1,000 requests, 100 ms, concurrency 32
    python bench/llm_throughput.py --n 2000 --faults 500=0.02,429=0.01,malformed=0.01

The server is ``tests/teachers/fake_openai_server.py`` in a subprocess (127.0.0.1, ephemeral
port, fixed latency per request). Inputs are the shipped CRAFT demo sentences; each prompt has
the paper's 30 random demonstrations from the 50 gold examples (~3.5k tokens).

1. Throughput: label ``n`` inputs at ``concurrency`` with no faults; prints wall time against
   the ideal ``n * latency / concurrency`` (target: within 1.2x), then reruns the same labeling
   (all answers from the ledger: expect 0 requests). Once per HTTP transport under the SDK
   (``teacher.openai.http_client``: aiohttp, httpx), ``--repeat`` times, median reported. For
   scale it also times bare posts of a same-sized body to the same server with each transport
   (no SDK, prompts or ledger): the floor that transport allows on this machine.
2. Kill and resume, with faults: the labeling runs in a subprocess, which is killed with
   SIGKILL once the ledger holds about half the answers; a second subprocess finishes the job.
   Prints what the server received: ``n`` answers + one retry per injected fault + the
   requests that were in flight at the kill (answered by the server, never stored), and checks
   that every input is answered exactly once in the ledger.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "tests" / "teachers" / "fake_openai_server.py"


def start_server(latency: float, faults: str, seed: int) -> tuple[subprocess.Popen, str]:
    args = [sys.executable, str(SERVER), "--latency", str(latency), "--retry-after", "0.2",
            "--seed", str(seed)]
    for fault in filter(None, faults.split(",")):
        args += ["--fault", fault]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().split()
    if not line or line[0] != "READY":
        proc.kill()
        raise RuntimeError("the fake server did not start")
    return proc, line[1]


def server_stats(base_url: str) -> dict:
    with urllib.request.urlopen(base_url + "/stats", timeout=10) as response:
        return json.loads(response.read())


def inputs(n: int) -> list:
    """``n`` shipped demo inputs with distinct texts (the server tells queries apart by text;
    numbered copies are added beyond the 2,000 shipped)."""
    from importlib.resources import files

    from mckd.core.records import Example
    from mckd.tasks.constituency.task import ConstituencyTask

    pool = ConstituencyTask().load(str(files("mckd") / "data" / "craft_demo" / "unlabeled.jsonl"))
    distinct = list({ex.source: ex for ex in reversed(pool)}.values())[::-1]
    out = distinct[:n]
    for i in range(len(out), n):
        base = distinct[i % len(distinct)]
        out.append(Example(id=f"{base.id}#{i}", source=f"{base.source} #{i}"))
    return out


def label(base_url: str, ledger: Path, n: int, concurrency: int, progress: bool,
          http_client: str = "auto") -> float:
    """Label the first ``n`` demo inputs; returns the wall time of ``complete`` in seconds."""
    from importlib.resources import files

    from mckd.config.llm import OpenAITeacherConfig
    from mckd.tasks.constituency.task import ConstituencyTask
    from mckd.teachers.openai_backend import OpenAITeacher

    task = ConstituencyTask()
    demos = task.load(str(files("mckd") / "data" / "craft_demo" / "labeled_50.jsonl"))
    examples = inputs(n)
    config = OpenAITeacherConfig(model="fake", base_url=base_url, api_key_env=None,
                                 concurrency=concurrency, backoff_base_s=0.05,
                                 progress_bar=progress, http_client=http_client)
    teacher = OpenAITeacher(task, config, demos=demos, seed=0, ledger_path=ledger)
    start = time.perf_counter()
    done = sum(1 for _ in teacher.complete(examples))
    seconds = time.perf_counter() - start
    if done != n:
        raise RuntimeError(f"only {done} of {n} inputs were labelled")
    return seconds


def ledger_count(path: Path) -> int:
    try:
        with sqlite3.connect(path) as db:
            return db.execute("SELECT COUNT(DISTINCT example_id) FROM answers").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _body() -> bytes:
    demo = "Input: a b c .\nOutput: ( ( a ) ( b ) ( c ) ( . ) )\n\n"
    body = json.dumps({"model": "fake", "max_tokens": 512, "messages": [  # ~11 kB, as real ones
        {"role": "user", "content": demo * 190 + "Input: x y z .\nOutput:"}]}).encode()
    return body


def bare_httpx(base_url: str, n: int, concurrency: int) -> float:
    """Wall time of ``n`` identical bare ``httpx2`` posts (no SDK, no prompts, no ledger)."""
    import asyncio

    import httpx2

    body = _body()

    async def run() -> None:
        limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx2.AsyncClient(limits=limits, timeout=60) as client:
            gate = asyncio.Semaphore(concurrency)

            async def one() -> None:
                async with gate:
                    response = await client.post(base_url + "/chat/completions", content=body,
                                                 headers={"content-type": "application/json"})
                    json.loads(response.content)

            await asyncio.gather(*(one() for _ in range(n)))

    start = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - start


def bare_aiohttp(base_url: str, n: int, concurrency: int) -> float:
    """Wall time of ``n`` identical bare ``aiohttp`` posts (no SDK, no prompts, no ledger)."""
    import asyncio

    import aiohttp

    body = _body()

    async def run() -> None:
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            gate = asyncio.Semaphore(concurrency)

            async def one() -> None:
                async with gate, session.post(base_url + "/chat/completions", data=body,
                                              headers={"content-type": "application/json"}) as r:
                    json.loads(await r.read())

            await asyncio.gather(*(one() for _ in range(n)))

    start = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - start


def throughput(args: argparse.Namespace, tmp: Path) -> None:
    """Each HTTP transport in turn against the same server, ``--repeat`` times (median shown,
    this machine is noisy): the mckd teacher (SDK, prompts, ledger) and a bare client posting a
    same-sized body, which is the floor that transport allows here."""
    proc, url = start_server(args.latency, "", args.seed)
    runs: dict[str, list[tuple[float, int, float, int, float]]] = {"aiohttp": [], "httpx": []}
    try:
        for rep in range(args.repeat):
            for transport, bare in (("aiohttp", bare_aiohttp), ("httpx", bare_httpx)):
                floor = bare(url, args.n, args.concurrency)
                sent0 = server_stats(url)["counts"].get("requests", 0)
                ledger = tmp / f"throughput-{transport}-{rep}.sqlite"
                wall = label(url, ledger, args.n, args.concurrency, args.progress, transport)
                sent = server_stats(url)["counts"].get("requests", 0) - sent0
                again = label(url, ledger, args.n, args.concurrency, args.progress, transport)
                resent = server_stats(url)["counts"].get("requests", 0) - sent0 - sent
                runs[transport].append((wall, sent, again, resent, floor))
    finally:
        proc.terminate()
        proc.wait()
    ideal = args.n * args.latency / args.concurrency
    print(f"1. throughput: {args.n} requests, latency {args.latency * 1000:.0f} ms, "
          f"concurrency {args.concurrency}, ideal {ideal:.2f} s (target: within 1.2x); "
          f"median of {args.repeat}")
    print("   | http_client | mckd teacher | x ideal (each run) | requests/s | server received | "
          "rerun from ledger | bare client (floor) |")
    print("   |---|---|---|---|---|---|---|")
    for transport, rows in runs.items():
        wall = statistics.median(r[0] for r in rows)
        floor = statistics.median(r[4] for r in rows)
        each = ", ".join(f"{r[0] / ideal:.2f}" for r in rows)
        print(f"   | {transport} | {wall:.2f} s | {wall / ideal:.2f}x ({each}) | "
              f"{args.n / wall:.0f} | {max(r[1] for r in rows)} | "
              f"{max(r[2] for r in rows):.2f} s, {sum(r[3] for r in rows)} requests | "
              f"{floor:.2f} s, {floor / ideal:.2f}x |")


def answered_ids(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT DISTINCT example_id FROM answers")}


def kill_and_resume(args: argparse.Namespace, tmp: Path) -> None:
    proc, url = start_server(args.latency, args.faults, args.seed)
    ledger = tmp / "resume.sqlite"
    child = [sys.executable, __file__, "--child", url, str(ledger), "--n", str(args.n),
             "--concurrency", str(args.concurrency)]
    try:
        first = subprocess.Popen(child)
        while ledger_count(ledger) < args.n // 2 and first.poll() is None:
            time.sleep(0.005)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        done_at_kill = answered_ids(ledger)
        time.sleep(2 * args.latency + 0.5)  # let the server finish what was in flight
        at_kill = server_stats(url)
        subprocess.run(child, check=True)
        stats = server_stats(url)
    finally:
        proc.terminate()
        proc.wait()
    sources = {ex.id: ex.source for ex in inputs(args.n)}
    asked_again = sum(stats["requested"].get(sources[i], 0)
                      - at_kill["requested"].get(sources[i], 0) for i in done_at_kill)
    counts = stats["counts"]
    faults = {k: v for k, v in counts.items() if k not in ("requests", "ok")}
    in_flight = at_kill["counts"].get("ok", 0) - len(done_at_kill)
    total, answered = counts.get("requests", 0), ledger_count(ledger)
    print(f"2. kill -9 at {len(done_at_kill)} of {args.n} answers, rerun; faults "
          f"{args.faults or 'none'}")
    print(f"   server received {total} = {args.n} inputs + {sum(faults.values())} forced "
          f"retries {faults} + {total - args.n - sum(faults.values())} answered but lost "
          f"(in flight at the kill: {in_flight})")
    print(f"   rerun requests for inputs answered before the kill: {asked_again}")
    print(f"   ledger: {answered} of {args.n} inputs answered: "
          f"{'nothing lost' if answered == args.n else 'INPUTS MISSING'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--faults", default="500=0.02,429=0.01,malformed=0.01",
                        help="injected faults for part 2, NAME=RATE,...")
    parser.add_argument("--repeat", type=int, default=3,
                        help="throughput runs per transport (the median is reported)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--progress", action="store_true", help="show the progress bar")
    parser.add_argument("--child", nargs=2, metavar=("URL", "LEDGER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        label(args.child[0], Path(args.child[1]), args.n, args.concurrency, progress=False)
        return 0
    print(f"cpu cores: {len(os.sched_getaffinity(0))}, load average (1 min): "
          f"{os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        throughput(args, Path(tmp))
        kill_and_resume(args, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
