"""A loopback OpenAI-compatible server with fault injection, for tests and benchmarks.

Serves ``POST /v1/chat/completions`` and ``POST /v1/completions`` on 127.0.0.1 (ephemeral
port) from a thread (:class:`FakeOpenAIServer`) or a subprocess (``python
fake_openai_server.py --latency 0.1 --fault 500=0.02``, which prints ``READY <base_url>``).
``GET /stats`` returns counters as JSON.

The answer to a query (the text after the last ``Input:`` of the prompt) is, by default, a flat
bracketing of its words: ``( ( w1 ) ( w2 ) ... )``. An answer longer than the request's
``max_tokens`` (counted in words) is cut and reported with finish_reason ``length``, as a real
server does.

Faults, chosen per attempt by ``script`` (query -> list of faults for its successive requests,
then ``ok``) or at random by ``fault_rates`` (fault -> probability):

``429``        rate limited, with ``Retry-After: <retry_after>``
``429ms``      rate limited, with ``retry-after-ms: <retry_after * 1000>``
``quota``      429 insufficient_quota (no retry can help)
``auth``       401, echoing the bearer token in the message (to test it is never stored)
``500``        internal server error
``400``        context length exceeded
``timeout``    answers only after ``hang_s`` seconds (the client should time out first)
``drop``       closes the connection without answering
``length``     half the answer, finish_reason ``length``
``malformed``  status 200 with a body that is not JSON
``garbage``    status 200, a well-formed response whose content is not a parse
``prefixed``   the answer prefixed with ``Output:`` and followed by an invented next pair

``reject_fields`` names request fields the server does not know: a request carrying one is
answered 400 "Unrecognized request argument supplied", as OpenAI itself does (or 400
``reject_message``, e.g. llama.cpp's answer to a grammar it cannot parse).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, NamedTuple, Self

FAULTS = ("429", "429ms", "quota", "auth", "500", "400", "timeout", "drop", "length",
          "malformed", "garbage", "prefixed")
_QUERY = re.compile(r"Input:\s*(.*?)\s*(?:\n|$)")


def flat_parse(query: str) -> str:
    """The default answer: every word bracketed, all under one root."""
    return "( " + " ".join(f"( {w} )" for w in query.split()) + " )"


def query_of(body: dict[str, Any]) -> str:
    """The query of a request: the text after the last ``Input:`` of its prompt."""
    if "messages" in body:
        text = "\n".join(str(m.get("content", "")) for m in body["messages"])
    else:
        text = str(body.get("prompt", ""))
    found = _QUERY.findall(text)
    return found[-1] if found else ""


class Received(NamedTuple):
    """One request as the server saw it (headers lower-cased; body None if not JSON)."""

    at: float
    path: str
    body: dict[str, Any] | None
    headers: dict[str, str]


class FakeOpenAIServer:
    """The server, run by an asyncio loop on a background thread. Use as a context manager.

    Attributes:
        received: every request as a :class:`Received` (arrival time, path, body, headers).
        counts: ``requests`` plus one counter per outcome (``ok`` or a fault name).
        answered: per query, how many answers with status 200 it got.
        requested: per query, how many requests asked for it.
    """

    def __init__(self, *, latency_s: float = 0.0, script: dict[str, list[str]] | None = None,
                 fault_rates: dict[str, float] | None = None, seed: int = 0,
                 retry_after: float = 1.0, hang_s: float = 5.0,
                 answer: Callable[[str], str] = flat_parse, port: int = 0,
                 reject_fields: tuple[str, ...] = (),
                 reject_message: str = "Unrecognized request argument supplied: {field}"):
        self.reject_fields = reject_fields  # request fields answered with 400 (unknown field)
        self.reject_message = reject_message
        self.latency_s, self.retry_after, self.hang_s, self.answer = (
            latency_s, retry_after, hang_s, answer)
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.fault_rates = dict(fault_rates or {})
        unknown = set(self.fault_rates) | {f for v in self.script.values() for f in v}
        unknown -= set(FAULTS) | {"ok"}
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; valid: {FAULTS}")
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.counts: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()
        self.requested: Counter[str] = Counter()
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def open(self) -> None:
        """Start listening (in the running loop); sets ``port``."""
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(lambda r, w: _serve(self, r, w),
                                                  "127.0.0.1", self.port, backlog=512)
        self.port = self._server.sockets[0].getsockname()[1]

    def start(self) -> FakeOpenAIServer:
        """Serve from a background thread."""
        ready = threading.Event()

        def main() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.open())
            ready.set()
            loop.run_forever()
            pending = asyncio.all_tasks(loop)  # connections still open: end them quietly
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=main, daemon=True)
        self._thread.start()
        ready.wait()
        return self

    def stop(self) -> None:
        """Stop serving (connections in progress are abandoned)."""
        if self._loop is not None and self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def choose_fault(self, query: str) -> str:
        """The outcome of the next request for ``query``."""
        with self.lock:
            planned = self.script.get(query)
            if planned:
                return planned.pop(0)
            draw = self.rng.random()
            for fault, rate in self.fault_rates.items():
                if draw < rate:
                    return fault
                draw -= rate
        return "ok"

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {"counts": dict(self.counts), "answered": dict(self.answered),
                    "requested": dict(self.requested)}


def _error(status: int, message: str, code: str, headers: dict[str, str] | None = None
           ) -> tuple[int, dict[str, str], bytes]:
    body = {"error": {"message": message, "type": code, "code": code}}
    return status, headers or {}, json.dumps(body).encode()


def _completion(body: dict[str, Any], path: str, text: str, finish: str) -> bytes:
    n = int(body.get("n") or 1)
    if path.endswith("/chat/completions"):
        choices = [{"index": i, "message": {"role": "assistant", "content": text},
                    "finish_reason": finish} for i in range(n)]
        prompt = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
    else:
        choices = [{"index": i, "text": " " + text, "finish_reason": finish} for i in range(n)]
        prompt = str(body.get("prompt", ""))
    usage = {"prompt_tokens": len(prompt.split()), "completion_tokens": n * len(text.split())}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return json.dumps({"id": "cmpl-fake", "object": "chat.completion", "created": 0,
                       "model": body.get("model"), "choices": choices, "usage": usage}).encode()


async def respond(server: FakeOpenAIServer, path: str, body: dict[str, Any],
                  headers: dict[str, str]) -> tuple[int, dict[str, str], bytes] | None:
    """Status, headers and body for one request (None: drop the connection)."""
    query = query_of(body)
    refused = [f for f in server.reject_fields if f in body]
    if refused:
        with server.lock:
            server.counts["requests"] += 1
            server.counts["refused_field"] += 1
        return _error(400, server.reject_message.format(field=refused[0]),
                      "invalid_request_error")
    fault = server.choose_fault(query)
    with server.lock:
        server.counts["requests"] += 1
        server.requested[query] += 1
        server.counts[fault] += 1
    await asyncio.sleep(server.latency_s + (server.hang_s if fault == "timeout" else 0.0))
    ra = server.retry_after
    simple = {
        "429": lambda: _error(429, "Rate limit reached", "rate_limit_exceeded",
                              {"Retry-After": f"{ra:g}"}),
        "429ms": lambda: _error(429, "Rate limit reached", "rate_limit_exceeded",
                                {"retry-after-ms": f"{ra * 1000:g}"}),
        "quota": lambda: _error(429, "You exceeded your current quota", "insufficient_quota"),
        "auth": lambda: _error(401, f"Incorrect API key provided: {headers.get('authorization')}",
                               "invalid_api_key"),
        "500": lambda: _error(500, "The server had an error", "server_error"),
        "400": lambda: _error(400, "maximum context length exceeded", "context_length_exceeded"),
        "malformed": lambda: (200, {}, b'{"id": "cmpl-fake", "choices": [{"mess'),
    }
    if fault == "drop":
        return None
    if fault in simple:
        return simple[fault]()
    words = server.answer(query).split()
    limit = int(body.get("max_tokens") or body.get("max_completion_tokens") or 10**9)
    finish = "stop"
    if fault == "length" or len(words) > limit:
        words, finish = words[: min(limit, max(len(words) // 2, 1))], "length"
    text = " ".join(words)
    if fault == "garbage":
        text = "I am sorry, I cannot parse that sentence ###"
    elif fault == "prefixed":
        text = f"Output: {text}\nInput: something else\nOutput: ( x )"
    with server.lock:
        server.answered[query] += 1
    return 200, {}, _completion(body, path, text, finish)


async def _read_request(reader: asyncio.StreamReader
                        ) -> tuple[str, str, dict[str, str], bytes] | None:
    """Method, path, lower-cased headers and body of the next request (None at EOF)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length") or 0))
    return method, path, headers, body


async def _serve(server: FakeOpenAIServer, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
    """Answer requests on one keep-alive connection until the client closes it."""
    try:
        while True:
            try:
                method, path, headers, raw = await _read_request(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            reply = await _reply(server, method, path, headers, raw)
            if reply is None:  # the "drop" fault
                return
            status, extra, payload = reply
            head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
                    "Content-Type: application/json", f"Content-Length: {len(payload)}"]
            head += [f"{k}: {v}" for k, v in extra.items()]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
            await writer.drain()
    except ConnectionError:
        return  # the client gave up (e.g. timed out): fine
    finally:
        writer.close()


async def _reply(server: FakeOpenAIServer, method: str, path: str, headers: dict[str, str],
                 raw: bytes) -> tuple[int, dict[str, str], bytes] | None:
    if method == "GET" and path.rstrip("/").endswith("/stats"):
        return 200, {}, json.dumps(server.stats()).encode()
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    with server.lock:
        server.received.append(Received(time.monotonic(), path, body, headers))
    if method != "POST" or not isinstance(body, dict) or not path.endswith(
            ("/chat/completions", "/completions")):
        return _error(400, "bad request", "invalid_request_error")
    return await respond(server, path, body, headers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--retry-after", type=float, default=1.0)
    parser.add_argument("--hang", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fault", action="append", default=[], metavar="NAME=RATE")
    args = parser.parse_args(argv)
    rates = {name: float(rate) for name, _, rate in (f.partition("=") for f in args.fault)}
    server = FakeOpenAIServer(latency_s=args.latency, fault_rates=rates, seed=args.seed,
                              retry_after=args.retry_after, hang_s=args.hang, port=args.port)

    async def serve() -> None:
        await server.open()
        sys.stdout.write(f"READY {server.base_url}\n")
        sys.stdout.flush()
        await asyncio.Event().wait()  # until killed

    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
