"""What labeling will cost, worked out before anything is sent (``mckd plan``).

The prompts are built exactly as the teacher will build them (same demos, packing, rendering
and ledger keys), so the plan counts the requests the ledger already answers. Token counts:

- prompt tokens: with the teacher's own tokenizer when it has one (the ``transformers``
  backend), else with :func:`mckd.prompting.estimate_tokens`, the estimate the ``openai``
  backend also packs and budgets with: the larger of the number of words and punctuation marks
  and ``ceil(characters / 4)`` (English BPE vocabularies give about 4 characters per token);
- completion tokens: each input's token count times the ratio of target to input tokens over
  the gold demonstrations (a bracketing is about as long as its sentence times a constant),
  at most ``max_tokens``; the upper bound assumes every answer takes ``max_tokens``.

Cost uses the prices of ``teacher.openai.budget`` (``usd_per_million_prompt_tokens`` and
``usd_per_million_completion_tokens``); a truncated answer's retry (``retry_max_tokens``) is
not counted. Nothing is sent and the weights of a local model are not loaded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mckd.config.teacher import TeacherConfig
from mckd.core.records import Example
from mckd.prompting import Demo, estimate_tokens
from mckd.prompting.packing import PackingStats, TokenCounter
from mckd.tasks.base import Task
from mckd.teachers.ledger import DEFAULT_LEDGER, Ledger
from mckd.teachers.prompt_builder import demo_pool, make_demo_selector

ESTIMATE = "estimate: max(words and punctuation marks, characters / 4)"


@dataclass
class LabelingPlan:
    """The plan of one teacher step.

    Attributes:
        backend, model: the teacher.
        inputs: inputs to label (unlabeled + test).
        requests: LLM requests they need (0 for replay and simulated teachers).
        cached: requests the ledger already answers; to_send: the rest.
        prompt_tokens, completion_tokens: totals over the requests to send (completion
            estimated); completion_tokens_max: if every answer used ``max_tokens``.
        token_counter: how tokens were counted.
        cost_usd, cost_usd_max: at the configured prices (None without prices).
        sample_id, sample_prompt: one input and its fully rendered prompt.
        packing: how often demos had to be dropped to fit the context.
        details: backend-specific facts (e.g. the replay join report).
    """

    backend: str
    model: str | None = None
    inputs: int = 0
    requests: int = 0
    cached: int = 0
    to_send: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    completion_tokens_max: int = 0
    token_counter: str = ESTIMATE
    cost_usd: float | None = None
    cost_usd_max: float | None = None
    prices: dict[str, float] | None = None
    ledger: str | None = None
    sample_id: str | None = None
    sample_prompt: str | None = None
    packing: dict[str, int] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The plan as plain JSON-able data."""
        return asdict(self)


def show_prompt(fields: dict[str, Any]) -> str:
    """A prompt as a person reads it: the completion string, or each chat message under its
    role."""
    if "prompt" in fields:
        return str(fields["prompt"])
    return "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in fields["messages"])


def answer_ratio(pool: Sequence[Demo], count: TokenCounter) -> float:
    """Target tokens per input token over the gold demonstrations (1.0 without any)."""
    source = sum(count(d.input) for d in pool)
    return sum(count(d.output) for d in pool) / source if source else 1.0


def plan_labeling(task: Task, teacher: TeacherConfig, *, demos: Sequence[Example],
                  inputs: Sequence[Example], seed: int) -> LabelingPlan:
    """Plan the teacher step for ``inputs`` (see the module docstring).

    Args:
        task: writes the gold demonstrations in prompt form.
        teacher: the ``teacher:`` section of the run config.
        demos: the gold demonstrations (the labeled split).
        inputs: what the teacher step labels (unlabeled + test).
        seed: the teacher step's seed (it seeds the demo draw, so the prompts match).

    Raises:
        ConfigError / DataError: as building the teacher would.
    """
    options = teacher.backend_options()
    if teacher.backend == "openai":
        return _plan_openai(task, options, demos, inputs, seed)
    if teacher.backend == "transformers":
        return _plan_transformers(task, options, demos, inputs, seed)
    if teacher.backend == "replay":
        from mckd.teachers.replay import ReplayTeacher

        replay = ReplayTeacher(task, options, seed=seed)
        for _ in replay.complete(inputs):
            pass
        return LabelingPlan("replay", inputs=len(inputs), details=replay.describe())
    return LabelingPlan(teacher.backend, inputs=len(inputs),
                        details={"note": "a simulation: no requests, no tokens, no cost"})


def _fill(plan: LabelingPlan, requests: Sequence[Any], ledger: Path, answer: Sequence[int],
          max_tokens: int, stats: PackingStats) -> None:
    """Counts shared by the LLM backends; ``answer[i]``: estimated answer tokens of input i."""
    todo = list(range(len(requests)))
    if ledger.is_file():  # never create a ledger just to look into it
        with Ledger(ledger) as store:
            todo = [i for i in todo if store.get(requests[i].key) is None]
    plan.requests, plan.cached, plan.to_send = len(requests), len(requests) - len(todo), len(todo)
    plan.prompt_tokens = sum(requests[i].prompt_tokens for i in todo)
    plan.completion_tokens = sum(answer[i] for i in todo)
    plan.completion_tokens_max = max_tokens * len(todo)
    plan.ledger, plan.packing = str(ledger), stats.as_dict()


def _plan_openai(task: Task, config: Any, demos: Sequence[Example], inputs: Sequence[Example],
                 seed: int) -> LabelingPlan:
    from mckd.teachers.openai_request import RequestBuilder
    from mckd.teachers.usage import UsageMeter

    pool = demo_pool(task, demos)
    builder = RequestBuilder(config, make_demo_selector(config.prompt, pool, seed),
                             estimate_tokens)
    builder.prepare(inputs)
    requests = [builder.build(ex) for ex in inputs]
    ratio = answer_ratio(pool, estimate_tokens)
    answer = [min(config.max_tokens, math.ceil(ratio * estimate_tokens(ex.source)))
              for ex in inputs]
    plan = LabelingPlan("openai", config.model, inputs=len(inputs))
    ledger = Path(config.ledger.path or DEFAULT_LEDGER)
    _fill(plan, requests, ledger, answer, config.max_tokens, builder.stats)
    budget = config.budget
    if budget.usd_per_million_prompt_tokens or budget.usd_per_million_completion_tokens:
        meter = UsageMeter(budget)
        plan.prices = {"usd_per_million_prompt_tokens": budget.usd_per_million_prompt_tokens,
                       "usd_per_million_completion_tokens":
                           budget.usd_per_million_completion_tokens}
        plan.cost_usd = round(meter.cost_usd(plan.prompt_tokens, plan.completion_tokens), 4)
        plan.cost_usd_max = round(meter.cost_usd(plan.prompt_tokens,
                                                 plan.completion_tokens_max), 4)
    if requests:
        plan.sample_id, plan.sample_prompt = requests[0].example_id, show_prompt(
            {k: v for k, v in requests[0].body.items() if k in ("messages", "prompt")})
    plan.details = {"endpoint": config.endpoint, "answer_tokens_per_input_token": round(ratio, 3),
                    "budget": budget.model_dump()}
    return plan


def _plan_transformers(task: Task, config: Any, demos: Sequence[Example],
                       inputs: Sequence[Example], seed: int) -> LabelingPlan:
    from mckd.teachers.local_model import LocalLM
    from mckd.teachers.local_request import LocalRequestBuilder

    pool = demo_pool(task, demos)
    lm = LocalLM(config.model, revision=config.revision, dtype=config.dtype,
                 device=config.device)  # the tokenizer only: weights load on generate
    builder = LocalRequestBuilder(config, make_demo_selector(config.prompt, pool, seed), lm,
                                  seed)
    builder.prepare(inputs)
    requests = [builder.build(ex) for ex in inputs]
    ratio = answer_ratio(pool, lm.count_tokens)
    answer = [min(config.max_tokens, math.ceil(ratio * lm.count_tokens(ex.source)))
              for ex in inputs]
    plan = LabelingPlan("transformers", config.model, inputs=len(inputs),
                        token_counter=f"the tokenizer of {config.model}")
    ledger = Path(config.ledger.path or DEFAULT_LEDGER)
    _fill(plan, requests, ledger, answer, config.max_tokens, builder.stats)
    if requests:
        plan.sample_id, plan.sample_prompt = requests[0].example_id, requests[0].text
    plan.details = {"chat_template": builder.use_template, "context_tokens": builder.context,
                    "answer_tokens_per_input_token": round(ratio, 3),
                    "note": "a local model: no per-token price"}
    return plan
