"""The ``openai`` teacher: few-shot prompts to any OpenAI-compatible server.

OpenAI itself, vLLM, SGLang, llama.cpp's server, Ollama: anything serving ``/v1/chat/
completions`` or ``/v1/completions``. Each input gets the paper's prompt (``Input:`` /
``Output:`` demonstration pairs drawn from the gold examples, then the query); requests run
concurrently in an asyncio loop on a background thread, every answer is committed to the
request ledger the moment it arrives, and a rerun (after a crash, ``kill -9``, a budget stop or
an outage) sends no request that was already answered. See :mod:`mckd.teachers.openai_job` for
how failures end.

``Completion.text`` is the answer with a leading ``Output:`` and any invented follow-up pair
removed (``meta["raw_text"]`` keeps the raw generation when it differs; the ledger always keeps
it). ``Completion.meta`` carries demo ids, latency, attempts and whether the ledger answered.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tqdm.auto import tqdm

from mckd.config.llm import OpenAITeacherConfig
from mckd.core.errors import ConfigError, TeacherUnavailable
from mckd.core.records import Completion, Example
from mckd.prompting import PackingStats, estimate_tokens
from mckd.prompting.packing import TokenCounter
from mckd.tasks.base import Task
from mckd.teachers.base import Teacher
from mckd.teachers.ledger import DEFAULT_LEDGER, Ledger
from mckd.teachers.openai_client import http_client_class, import_openai
from mckd.teachers.openai_job import LabelingJob
from mckd.teachers.openai_request import RequestBuilder, prompt_format
from mckd.teachers.prompt_builder import demo_pool, make_demo_selector
from mckd.teachers.usage import UsageMeter

log = logging.getLogger(__name__)

OPENAI_BASE_URL = "https://api.openai.com/v1"
_DONE = object()


def read_api_key(env_name: str | None) -> str | None:
    """The API key from the environment variable ``env_name`` (None: no key needed).

    Raises:
        ConfigError: the variable is not set or empty.
    """
    if env_name is None:
        return None
    key = os.environ.get(env_name, "").strip()
    if not key:
        raise ConfigError(
            f"environment variable {env_name} (teacher.openai.api_key_env) is not set; export "
            "it with your API key, or set api_key_env: null for a server that needs no key")
    return key


def public_url(url: str) -> str:
    """``url`` without any user:password part (safe to log)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=host))


class OpenAITeacher(Teacher):
    """Labels inputs with an OpenAI-compatible LLM, few-shot prompted with gold demos.

    Args:
        task: supplies how gold is written in prompts (its canonical target format).
        config: backend, prompt, ledger and budget settings.
        demos: gold examples to draw demonstrations from.
        seed: seeds the per-input demo draw (same seed, same prompts, ledger hits).
        ledger_path: the request ledger; default ``config.ledger.path`` or
            ``cache/teacher.sqlite``.
        count_tokens: token counter used to fit prompts into the context (an estimate by
            default; pass a tokenizer's for exact packing).

    Raises:
        ConfigError: the API key variable is unset, the demo settings are invalid, or the
            dense encoder cannot be loaded.
        DataError: a demonstration example has no gold, or a pinned encoder file differs.
    """

    name = "openai"

    def __init__(self, task: Task, config: OpenAITeacherConfig, *, demos: Sequence[Example],
                 seed: int, ledger_path: str | os.PathLike[str] | None = None,
                 count_tokens: TokenCounter = estimate_tokens):
        self.task, self.config, self.seed = task, config, seed
        pool = demo_pool(task, demos)
        self.demo_pool_size = len(pool)
        self._api_key = read_api_key(config.api_key_env)  # before loading any encoder
        grammar_of = None
        if config.constrain == "grammar":
            def grammar_of(source: str) -> str:
                return task.output_grammar(source).to_gbnf()

            if pool:
                grammar_of(pool[0].input)  # fail now if the task has no grammar
        self.builder = RequestBuilder(config, make_demo_selector(config.prompt, pool, seed),
                                      count_tokens, grammar_of=grammar_of)
        self.ledger_path = Path(ledger_path or config.ledger.path or DEFAULT_LEDGER)
        import_openai()  # fail now, not mid-run, if the package is missing (and load it once)
        http_client_class(config.http_client)  # likewise for a transport that is not installed
        self.usage = UsageMeter(config.budget)

    def describe(self) -> dict[str, object]:
        """Backend, model, decoding, prompt and ledger facts, plus usage and packing counts
        of the last :meth:`complete` call."""
        c = self.config
        return {
            "backend": self.name, "simulation": False, "model": c.model,
            "base_url": public_url(c.base_url or OPENAI_BASE_URL), "endpoint": c.endpoint,
            "decoding": self.builder.decoding(c.max_tokens), "retry_max_tokens": c.retry_max_tokens,
            "constrain": c.constrain,
            **({"grammar_server": c.grammar_server} if c.constrain == "grammar" else {}),
            "prompt": c.prompt.model_dump(), "demo_pool": self.demo_pool_size,
            "seed": self.seed, "ledger": str(self.ledger_path), "api_key_env": c.api_key_env,
            "usage": self.usage.summary(), "packing": self.builder.stats.as_dict(),
        }

    def complete(self, examples: Sequence[Example], *,
                 on_result: Callable[[Completion], None] | None = None) -> Iterator[Completion]:
        """Yield one completion per answered input, in arrival order.

        ``on_result`` is called (in the caller's thread) just before each yield; the answer is
        already committed to the ledger by then. After the last completion this raises
        :class:`~mckd.core.errors.BudgetExceeded` or
        :class:`~mckd.core.errors.TeacherUnavailable` if the job stopped early or some
        inputs failed every attempt; rerunning continues where it stopped.
        """
        examples = list(examples)
        self.usage = meter = UsageMeter(self.config.budget)
        self.builder.stats = PackingStats()
        self.builder.prepare(examples)  # e.g. embed every query for dense demos, in batches
        out: queue.Queue[Any] = queue.Queue()
        ledger = Ledger(self.ledger_path, busy_timeout_s=self.config.ledger.busy_timeout_s,
                        store_requests=self.config.ledger.store_requests)
        job = LabelingJob(config=self.config, builder=self.builder, ledger=ledger, meter=meter,
                          api_key=self._api_key, fmt=prompt_format(self.config), emit=out.put)
        runner = _LoopThread(lambda: job.run(examples), on_exit=lambda: out.put(_DONE))
        bar = tqdm(total=len(examples), desc=f"teacher {self.config.model}", unit="input",
                   disable=not self.config.progress_bar, leave=False)
        finished = False
        try:
            while (item := out.get()) is not _DONE:
                if on_result is not None:
                    on_result(item)
                bar.set_postfix(meter.postfix(), refresh=False)
                bar.update(1)
                yield item
            finished = True
        finally:
            if not finished:
                job.cancelled = True
                runner.cancel()
            runner.join()
            ledger.close()
            bar.close()
            log.info("teacher %s: %s; packing: %s", self.config.model, meter.summary(),
                     self.builder.stats.as_dict())
        if runner.error is not None:
            raise runner.error
        if job.stop_error is not None:
            raise job.stop_error
        if job.failures:
            first_id, first_error = job.failures[0]
            raise TeacherUnavailable(
                f"{len(job.failures)} input(s) failed after {self.config.max_attempts} attempts "
                f"each (first: {first_id!r}: {first_error}); the other answers are saved in "
                f"{self.ledger_path}: rerun to retry the failed ones")


class _LoopThread:
    """Runs a coroutine in its own event loop on a worker thread; cancellable from outside.

    The thread pool's future carries any exception back to the caller's thread.
    """

    def __init__(self, coroutine: Callable[[], Awaitable[None]], on_exit: Callable[[], None]):
        self._coroutine = coroutine
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._cancelled = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mckd-openai")
        self._future = self._executor.submit(asyncio.run, self._amain())
        self._future.add_done_callback(lambda _: on_exit())

    async def _amain(self) -> None:
        self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
        if not self._cancelled:
            await self._coroutine()

    @property
    def error(self) -> BaseException | None:
        """What the coroutine raised (call after :meth:`join`)."""
        return self._future.exception()

    def cancel(self) -> None:
        """Cancel the coroutine (requests in flight are abandoned; nothing half-written)."""
        self._cancelled = True
        loop, task = self._loop, self._task
        if loop is not None and task is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:
                pass  # the loop closed between the check and the call: nothing to cancel

    def join(self) -> None:
        """Wait for the thread to end."""
        self._executor.shutdown(wait=True)
