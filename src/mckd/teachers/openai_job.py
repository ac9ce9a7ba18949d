"""One labeling job on an OpenAI-compatible server, run inside an asyncio event loop.

``concurrency`` workers share one iterator over the inputs. For each input a worker builds the
request, answers it from the ledger if it can, and otherwise reserves budget, sends it with
retries, and commits the answer to the ledger before handing the completion on. A truncated
answer (finish_reason "length") is asked for once more with ``retry_max_tokens``.

How a request can end:
  answered            stored in the ledger, completion emitted;
  rejected (400-ish)  completion emitted with finish_reason "error" (the pipeline records it
                      as invalid, with the reason), failure logged, nothing cached;
  failed              retries exhausted: counted, logged; the job ends with TeacherUnavailable
                      so that a rerun asks again;
  grammar refused     with constrain: grammar, a refusal (or, after the retries, a server
                      error) that names the grammar (the server does not know the field or
                      cannot compile it) is fatal: every request would get it;
  fatal / budget      the job stops taking new inputs, lets requests in flight finish, and ends
                      with TeacherUnavailable / BudgetExceeded. Everything answered is saved.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from mckd.config.llm import GRAMMAR_FIELDS, OpenAITeacherConfig
from mckd.core.errors import BudgetExceeded, RecoverableError, TeacherUnavailable
from mckd.core.records import Completion, Example
from mckd.prompting import PromptFormat, extract_answer
from mckd.teachers.ledger import Ledger, LedgerEntry
from mckd.teachers.openai_client import CallError, OpenAICaller
from mckd.teachers.openai_request import BACKEND, PreparedRequest, RequestBuilder
from mckd.teachers.retrying import Pause, RetryPolicy, call_with_retries
from mckd.teachers.usage import UsageMeter

log = logging.getLogger(__name__)

#: words of a 400/422 message that say the grammar field, not the prompt, was refused
_GRAMMAR_WORDS = ("grammar", "ebnf", "structured_outputs", "gbnf", "extra_forbidden",
                  "extra inputs", "unrecognized request argument", "unknown field",
                  "additional properties")


@dataclass(frozen=True)
class _Got:
    """Result of asking for one request: a stored answer (``cached`` if it was already in the
    ledger), or the error that ended it, or neither (the job stopped it)."""

    entry: LedgerEntry | None = None
    cached: bool = False
    error: CallError | None = None


class LabelingJob:
    """Labels ``examples``; ``emit`` receives each completion as soon as it is stored."""

    def __init__(self, *, config: OpenAITeacherConfig, builder: RequestBuilder, ledger: Ledger,
                 meter: UsageMeter, api_key: str | None, fmt: PromptFormat,
                 emit: Callable[[Completion], None]):
        self.config, self.builder, self.ledger, self.meter = config, builder, ledger, meter
        self.fmt, self.emit, self._api_key = fmt, emit, api_key
        self.policy = RetryPolicy(config.max_attempts, config.backoff_base_s,
                                  config.backoff_max_s, config.max_retry_after_s)
        self.pause, self.rng = Pause(), random.Random()
        self.stop_error: RecoverableError | None = None
        self.cancelled = False
        self.failures: list[tuple[str, str]] = []  # (example id, last error)
        self._caller: OpenAICaller | None = None

    def stopped(self) -> bool:
        """True once the job takes no new work (fatal error, budget, or cancelled)."""
        return self.cancelled or self.stop_error is not None

    def _stop(self, error: RecoverableError) -> None:
        if self.stop_error is None:
            log.error("stopping the teacher: %s", error)
            self.stop_error = error

    async def run(self, examples: Sequence[Example]) -> None:
        """Label every example (or stop early, see the module docstring)."""
        self._caller = OpenAICaller(base_url=self.config.base_url, api_key=self._api_key,
                                    timeout_s=self.config.timeout_s, endpoint=self.config.endpoint,
                                    connections=self.config.concurrency,
                                    http_client=self.config.http_client)
        todo = iter(examples)
        try:
            await asyncio.gather(*(self._worker(todo) for _ in range(self.config.concurrency)))
        finally:
            await self._caller.aclose()

    async def _worker(self, todo: Iterator[Example]) -> None:
        for example in todo:  # the iterator is shared: each input goes to one worker
            if self.stopped():
                return
            await self._label(example)

    async def _label(self, example: Example) -> None:
        request = self.builder.build(example)
        got = await self._ask(request)
        if got.entry is None:
            if got.error is not None and got.error.kind == "reject":
                self._emit_rejected(request, got.error)
            return
        steps = [(request, got)]
        retry_tokens = self.config.retry_max_tokens
        if got.entry.finish_reason == "length" and retry_tokens and not self.stopped():
            longer = self.builder.with_max_tokens(request, retry_tokens)
            again = await self._ask(longer)
            if again.entry is not None:
                steps.append((longer, again))
        self._emit_answer(steps)

    async def _ask(self, request: PreparedRequest) -> _Got:
        stored = self.ledger.get(request.key)
        if stored is not None:
            self.meter.add(stored.prompt_tokens, stored.completion_tokens)
            return _Got(stored, cached=True)
        reserved = (request.prompt_tokens, request.answer_tokens * self.config.n)
        refusal = self.meter.reserve(*reserved)
        if refusal is not None:
            self._stop(BudgetExceeded(f"{refusal}; answers so far are saved in "
                                      f"{self.ledger.path}: raise the budget and rerun"))
            return _Got()
        caller = self._caller
        assert caller is not None  # set by run() before any worker starts
        try:
            outcome = await call_with_retries(
                lambda: caller.call(request.body), self.policy, self.pause,
                stopped=self.stopped, on_attempt=self._count_attempt, rng=self.rng)
        finally:
            self.meter.release(*reserved)
        if outcome.answer is not None:
            answer = outcome.answer
            entry = LedgerEntry(
                key=request.key, example_id=request.example_id, backend=BACKEND,
                model=self.config.model, text=answer.choices[0][0],
                finish_reason=answer.choices[0][1],
                choices=[{"text": t, "finish_reason": f} for t, f in answer.choices],
                prompt_tokens=answer.prompt_tokens, completion_tokens=answer.completion_tokens,
                latency_s=round(outcome.latency_s, 4), attempts=outcome.attempts,
                demo_ids=list(request.demo_ids), request=request.body)
            self.ledger.put(entry)  # committed before anyone sees the completion
            self.meter.add(answer.prompt_tokens, answer.completion_tokens)
            return _Got(entry)
        if outcome.error is None:
            return _Got()  # stopped before it could succeed; a rerun asks again
        error = outcome.error
        self.ledger.record_failure(request.key, request.example_id, error.kind, error.message,
                                   outcome.attempts)
        if error.kind in ("reject", "retry") and self._grammar_refused(error):
            error = CallError("fatal", f"the server refused the grammar sent in "
                              f"{GRAMMAR_FIELDS[self.config.grammar_server]!r} "
                              f"(teacher.openai.constrain: grammar, grammar_server: "
                              f"{self.config.grammar_server}): {error.message} - set "
                              "grammar_server to your server's kind (llama.cpp, vllm, sglang), "
                              "or constrain: none", status=error.status)
            error = CallError("fatal", error.message[:600], status=error.status)
        if error.kind == "fatal":
            self._stop(TeacherUnavailable(f"{error.message}. Answers so far are saved in "
                                          f"{self.ledger.path}; rerun to continue"))
        elif error.kind == "retry":
            self.meter.failed += 1
            self.failures.append((request.example_id, error.message))
            log.warning("input %r failed after %d attempts: %s", request.example_id,
                        outcome.attempts, error.message)
        return _Got(error=error)

    def _grammar_refused(self, error: CallError) -> bool:
        """Whether a failed request was refused for its grammar field (a server that does
        not know the field, or cannot compile the grammar): every request would be."""
        if self.config.constrain != "grammar":
            return False
        text = error.message.lower()
        return any(word in text for word in _GRAMMAR_WORDS)

    def _count_attempt(self) -> None:
        self.meter.http_requests += 1

    def _emit_answer(self, steps: list[tuple[PreparedRequest, _Got]]) -> None:
        request, last = steps[-1][0], steps[-1][1].entry
        assert last is not None  # only answered steps are collected
        entries = [got.entry for _, got in steps if got.entry is not None]
        cached = all(got.cached for _, got in steps)
        text = extract_answer(last.text, self.fmt)
        meta: dict[str, object] = {
            "demo_ids": list(request.demo_ids), "dropped_demos": len(request.dropped_demos),
            "latency_s": round(sum(e.latency_s for e in entries), 4),
            "attempts": sum(e.attempts for e in entries), "cache_hit": cached,
            "ledger_key": last.key, "truncated_retry": len(steps) > 1,
        }
        if text != last.text:
            meta["raw_text"] = last.text
        if self.config.n > 1:
            meta["candidates"] = [{"text": extract_answer(c["text"], self.fmt),
                                   "finish_reason": c["finish_reason"]} for c in last.choices]
        if cached:
            self.meter.cached += 1
        else:
            self.meter.answered += 1
        self.meter.truncated += last.finish_reason == "length"
        usage = {"prompt_tokens": sum(e.prompt_tokens for e in entries),
                 "completion_tokens": sum(e.completion_tokens for e in entries)}
        self.emit(Completion(id=request.example_id, text=text, finish_reason=last.finish_reason,
                             usage=usage, meta=meta))

    def _emit_rejected(self, request: PreparedRequest, error: CallError) -> None:
        self.meter.rejected += 1
        meta = {"demo_ids": list(request.demo_ids), "dropped_demos": len(request.dropped_demos),
                "cache_hit": False, "error": error.message}
        self.emit(Completion(id=request.example_id, text="", finish_reason="error", meta=meta))
