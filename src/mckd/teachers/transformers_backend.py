"""The ``transformers`` teacher: few-shot prompts to a local causal LM, generated in batches.

Prompts are the ``openai`` backend's (the paper's ``Input:`` / ``Output:`` pairs); in chat
mode they go through the tokenizer's chat template when it has one. Every answer is committed
to the request ledger as soon as its batch finishes, so a rerun (after a crash or ``kill -9``)
regenerates only the batch that was in flight, and a rerun with everything answered does not
load the model at all.

Answers are recorded like the ``openai`` backend's: ``Completion.text`` with a leading
``Output:`` and any invented follow-up pair removed (``meta["raw_text"]`` keeps the
generation when it differs), ``finish_reason`` "length" when the answer hit ``max_tokens``,
usage in the model's tokens, and ``meta`` with demo ids, the batch's latency (``latency_s``:
seconds its batch took) and whether the ledger answered. Gibberish is kept as generated: the
pipeline's task check records it as invalid.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from tqdm.auto import tqdm

from mckd.config.llm import TransformersTeacherConfig
from mckd.core.hashing import stable_seed
from mckd.core.records import Completion, Example
from mckd.prompting import PackingStats, extract_answer
from mckd.tasks.base import Task
from mckd.teachers.base import Teacher
from mckd.teachers.ledger import DEFAULT_LEDGER, Ledger, LedgerEntry
from mckd.teachers.local_model import Generated, LocalLM
from mckd.teachers.local_request import BACKEND, LocalRequest, LocalRequestBuilder
from mckd.teachers.prompt_builder import demo_pool, make_demo_selector
from mckd.teachers.usage import UsageMeter

log = logging.getLogger(__name__)


class TransformersTeacher(Teacher):
    """Labels inputs with a local causal LM, few-shot prompted with gold demos.

    Args:
        task: supplies how gold is written in prompts.
        config: model, decoding, prompt and ledger settings.
        demos: gold examples to draw demonstrations from.
        seed: seeds the per-input demo draw (and sampling, unless ``sampling_seed`` is set).
        ledger_path: default ``config.ledger.path`` or ``cache/teacher.sqlite``.

    Raises:
        ConfigError: the tokenizer or config cannot be loaded, or the settings do not fit.
        DataError: a demonstration example has no gold.
    """

    name = "transformers"

    def __init__(self, task: Task, config: TransformersTeacherConfig, *,
                 demos: Sequence[Example], seed: int,
                 ledger_path: str | os.PathLike[str] | None = None):
        self.task, self.config, self.seed = task, config, seed
        pool = demo_pool(task, demos)
        self.demo_pool_size = len(pool)
        self.lm = LocalLM(config.model, revision=config.revision, dtype=config.dtype,
                          device=config.device)
        selector = make_demo_selector(config.prompt, pool, seed)
        self.builder = LocalRequestBuilder(config, selector, self.lm, seed)
        self.ledger_path = Path(ledger_path or config.ledger.path or DEFAULT_LEDGER)
        self.usage = UsageMeter()

    def describe(self) -> dict[str, object]:
        """Model, decoding, prompt and ledger facts, plus usage and packing counts of the last
        :meth:`complete` call."""
        c = self.config
        return {
            "backend": self.name, "simulation": False, "model": c.model,
            "model_identity": self.builder.identity, "dtype": c.dtype, "device": c.device,
            "chat_template": self.builder.use_template, "context_tokens": self.builder.context,
            "decoding": self.builder.decoding(), "prompt": c.prompt.model_dump(),
            "demo_pool": self.demo_pool_size, "seed": self.seed, "ledger": str(self.ledger_path),
            "batch_size": c.batch_size, "usage": self.usage.summary(),
            "packing": self.builder.stats.as_dict(),
        }

    def complete(self, examples: Sequence[Example], *,
                 on_result: Callable[[Completion], None] | None = None) -> Iterator[Completion]:
        """Yield one completion per input: ledger answers first, then batch by batch.

        ``on_result`` is called just before each yield; the answer is already committed to
        the ledger by then.
        """
        self.usage = meter = UsageMeter()
        self.builder.stats = PackingStats()
        self.builder.prepare(examples)
        requests = [self.builder.build(ex) for ex in examples]
        ledger = Ledger(self.ledger_path, busy_timeout_s=self.config.ledger.busy_timeout_s,
                        store_requests=self.config.ledger.store_requests)
        bar = tqdm(total=len(requests), desc=f"teacher {self.config.model}", unit="input",
                   disable=not self.config.progress_bar, leave=False)
        try:
            pending = []
            for request in requests:
                entry = ledger.get(request.key)
                if entry is None and self._too_long(request):
                    yield self._emit(self._rejected(request), on_result, bar)
                    continue
                if entry is None:
                    pending.append(request)
                    continue
                meter.cached += 1
                yield self._emit(self._completion(request, entry, cached=True), on_result, bar)
            # longest first: similar lengths share a batch (less padding), and the slowest
            # batch shows up at once in the progress line
            pending.sort(key=lambda r: (-r.prompt_tokens, r.example_id))
            size = self.config.batch_size
            for start in range(0, len(pending), size):
                for request, entry in self._generate(pending[start:start + size], ledger):
                    meter.answered += 1
                    completion = self._completion(request, entry, cached=False)
                    yield self._emit(completion, on_result, bar)
        finally:
            ledger.close()
            bar.close()
            log.info("teacher %s: %s; packing: %s", self.config.model, meter.summary(),
                     self.builder.stats.as_dict())

    def _too_long(self, request: LocalRequest) -> bool:
        return request.prompt_tokens + self.config.max_tokens > self.builder.context

    def _rejected(self, request: LocalRequest) -> Completion:
        """A prompt that cannot fit the model even without demos (an input far too long):
        reported like a server's refusal (finish_reason "error", recorded as invalid)."""
        self.usage.rejected += 1
        error = (f"prompt of {request.prompt_tokens} tokens + max_tokens "
                 f"{self.config.max_tokens} exceeds the model's {self.builder.context}-token "
                 "context")
        log.warning("input %r not generated: %s", request.example_id, error)
        return Completion(id=request.example_id, text="", finish_reason="error",
                          usage={"prompt_tokens": 0, "completion_tokens": 0},
                          meta={"demo_ids": list(request.demo_ids), "cache_hit": False,
                                "dropped_demos": len(request.dropped_demos), "error": error})

    def _emit(self, completion: Completion, on_result: Callable[[Completion], None] | None,
              bar: tqdm) -> Completion:
        self.usage.add(completion.usage["prompt_tokens"], completion.usage["completion_tokens"])
        self.usage.truncated += completion.finish_reason == "length"
        if on_result is not None:
            on_result(completion)
        bar.update(1)
        return completion

    def _generate(self, batch: list[LocalRequest],
                  ledger: Ledger) -> list[tuple[LocalRequest, LedgerEntry]]:
        """Generate one batch and commit every answer before returning it."""
        c = self.config
        started = time.perf_counter()
        results: list[Generated] = self.lm.generate(
            [r.text for r in batch], add_special_tokens=not self.builder.use_template,
            max_new_tokens=c.max_tokens, temperature=c.temperature, top_p=c.top_p,
            seed=stable_seed(self.builder.sampling_seed, batch[0].key),
            stop=self.builder.stop_strings())
        latency = round(time.perf_counter() - started, 4)
        out = []
        for request, result in zip(batch, results, strict=True):
            entry = LedgerEntry(
                key=request.key, example_id=request.example_id, backend=BACKEND, model=c.model,
                text=result.text, finish_reason=result.finish_reason,
                choices=[{"text": result.text, "finish_reason": result.finish_reason}],
                prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
                latency_s=latency, attempts=1, demo_ids=list(request.demo_ids),
                request=request.body)
            ledger.put(entry)
            out.append((request, entry))
        return out

    def _completion(self, request: LocalRequest, entry: LedgerEntry, *,
                    cached: bool) -> Completion:
        text = extract_answer(entry.text, self.builder.fmt)
        meta: dict[str, object] = {
            "demo_ids": list(request.demo_ids), "dropped_demos": len(request.dropped_demos),
            "latency_s": entry.latency_s, "cache_hit": cached, "ledger_key": entry.key,
        }
        if text != entry.text:
            meta["raw_text"] = entry.text
        usage = {"prompt_tokens": entry.prompt_tokens,
                 "completion_tokens": entry.completion_tokens}
        return Completion(id=request.example_id, text=text, finish_reason=entry.finish_reason,
                          usage=usage, meta=meta)
