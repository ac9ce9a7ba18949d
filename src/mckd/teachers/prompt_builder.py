"""The few-shot prompt of one input, shared by every LLM teacher backend.

Demos are selected (seeded per input), packed into the context budget and rendered as chat
messages or one completion string. The ``openai`` backend puts the result in a request body
(:mod:`mckd.teachers.openai_request`); the ``transformers`` backend renders it with the
tokenizer's chat template (:mod:`mckd.teachers.local_request`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mckd.config.llm import PromptConfig
from mckd.core.errors import DataError
from mckd.core.records import Example
from mckd.prompting import (
    Demo,
    DemoSelector,
    PackingStats,
    PromptFormat,
    estimate_tokens,
    make_selector,
    pack,
    render_chat,
    render_completion,
)
from mckd.prompting.packing import TokenCounter
from mckd.prompting.render import render_demo, render_query
from mckd.tasks.base import Task

_CHAT_MESSAGE_OVERHEAD = 4  # role and separators per chat message, as OpenAI counts them


def demo_pool(task: Task, demos: Sequence[Example]) -> list[Demo]:
    """The gold examples as demonstrations, their targets in the task's prompt format.

    Raises:
        DataError: an example has no gold.
    """
    missing = [ex.id for ex in demos if ex.gold is None]
    if missing:
        raise DataError(f"demonstration {missing[0]!r} has no gold ({len(missing)} without "
                        "gold); demonstrations must come from the labelled examples")
    fmt = task.target_formats[0]
    return [Demo(ex.id, ex.source, task.gold_target(ex, fmt)) for ex in demos]


def make_demo_selector(prompt: PromptConfig, pool: Sequence[Demo], seed: int) -> DemoSelector:
    """The selector ``prompt.selection`` names (loading the encoder for ``dense``).

    Raises:
        ConfigError: invalid demo settings, or the dense encoder cannot be loaded.
        DataError: a pinned encoder file's hash differs.
    """
    encoder = None
    if prompt.selection == "dense":
        from mckd.prompting.encoders import load_encoder

        encoder = load_encoder(prompt.dense.encoder, max_length=prompt.dense.max_length)
    return make_selector(prompt.selection, pool, prompt.num_demos, seed, encoder=encoder)


def prompt_format_of(prompt: PromptConfig) -> PromptFormat:
    """The pair format configured in ``prompt``."""
    return PromptFormat(input_prefix=prompt.input_prefix, output_prefix=prompt.output_prefix,
                        demo_separator=prompt.demo_separator, instruction=prompt.instruction)


@dataclass(frozen=True)
class BuiltPrompt:
    """The prompt of one input.

    Attributes:
        demo_ids: ids of the demos in the prompt, in prompt order.
        dropped_demos: ids of selected demos dropped to fit the context.
        tokens: its size as the token counter measured it.
        fields: ``{"messages": [...]}`` (chat) or ``{"prompt": "..."}`` (completions).
    """

    demo_ids: tuple[str, ...]
    dropped_demos: tuple[str, ...]
    tokens: int
    fields: dict[str, Any]


class PromptBuilder:
    """Selects, packs and renders prompts; counts how often demos were dropped.

    Args:
        prompt: the prompt settings.
        chat: render chat messages (else one completion string).
        answer_tokens: room kept for the answer inside ``prompt.context_tokens``.
        selector: chooses demos per input.
        count_tokens: measures text (an estimate by default).
        context_tokens: overrides ``prompt.context_tokens`` (e.g. a local model's limit).
    """

    def __init__(self, prompt: PromptConfig, *, chat: bool, answer_tokens: int,
                 selector: DemoSelector, count_tokens: TokenCounter = estimate_tokens,
                 context_tokens: int | None = None):
        self.prompt, self.chat, self.selector = prompt, chat, selector
        self.count_tokens = count_tokens
        self.budget = (context_tokens or prompt.context_tokens) - answer_tokens
        self.fmt = prompt_format_of(prompt)
        self.stats = PackingStats()
        self._demo_cost: dict[str, int] = {}

    def _turns(self) -> bool:
        return self.chat and self.prompt.chat_layout == "turns"

    def _render(self, demos: tuple[Demo, ...], query: str) -> dict[str, Any]:
        if self.chat:
            return {"messages": render_chat(demos, query, self.fmt, self.prompt.chat_layout)}
        return {"prompt": render_completion(demos, query, self.fmt)}

    def _demo_tokens(self, demo: Demo) -> int:
        """Tokens one demo adds to the prompt (cached: demos recur in every prompt)."""
        cost = self._demo_cost.get(demo.id)
        if cost is None:
            if self._turns():
                cost = (self.count_tokens(f"{self.fmt.input_prefix}{demo.input}")
                        + self.count_tokens(demo.output) + 2 * _CHAT_MESSAGE_OVERHEAD)
            else:
                cost = self.count_tokens(render_demo(demo, self.fmt))
            self._demo_cost[demo.id] = cost
        return cost

    def _fixed_tokens(self, query: str) -> int:
        """Tokens of everything but the demos: instruction, query, message overheads."""
        overhead = _CHAT_MESSAGE_OVERHEAD if self.chat else 0
        query_text = (f"{self.fmt.input_prefix}{query}" if self._turns()
                      else render_query(query, self.fmt))
        tokens = self.count_tokens(query_text) + overhead
        if self.fmt.instruction:
            tokens += self.count_tokens(self.fmt.instruction) + overhead
        return tokens

    def prepare(self, examples: Sequence[Example]) -> None:
        """Let the selector precompute for these inputs (e.g. embed them in batches)."""
        self.selector.prepare([ex.source for ex in examples])

    def build_prompt(self, example: Example) -> BuiltPrompt:
        """The prompt labelling ``example`` (same input, same seed: same prompt)."""
        ranked = self.selector.select(example.id, example.source)
        fixed = self._fixed_tokens(example.source)
        # blocks are joined by whitespace, so the prompt's size is the sum of its parts'
        packed = pack(ranked, self.budget,
                      lambda demos: fixed + sum(map(self._demo_tokens, demos)))
        self.stats.add(packed)
        return BuiltPrompt(demo_ids=tuple(d.id for d in packed.demos),
                           dropped_demos=packed.dropped, tokens=packed.tokens,
                           fields=self._render(packed.demos, example.source))
