"""Turning one input into the exact request body sent to an OpenAI-compatible server.

Demos are selected (seeded per input), packed into the context budget and rendered; the body
holds the model, the prompt (``messages`` or ``prompt``) and the decoding parameters, and
nothing else, so its hash is the ledger key.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from mckd.config.llm import OpenAITeacherConfig
from mckd.core.records import Example
from mckd.prompting import (
    DemoSelector,
    PackingStats,
    PromptFormat,
    estimate_tokens,
    pack,
    render_chat,
    render_completion,
)
from mckd.prompting.packing import TokenCounter
from mckd.prompting.render import Demo, render_demo, render_query
from mckd.teachers.ledger import request_key

BACKEND = "openai"
_CHAT_MESSAGE_OVERHEAD = 4  # role and separators per chat message, as OpenAI counts them


@dataclass(frozen=True)
class PreparedRequest:
    """One request, ready to send.

    Attributes:
        example_id: the input it labels.
        body: the JSON body sent (model, prompt or messages, decoding parameters).
        key: the ledger key (hash of backend, endpoint and body).
        demo_ids: ids of the demos in the prompt, in prompt order.
        dropped_demos: ids of selected demos dropped to fit the context.
        prompt_tokens: estimated prompt size; answer_tokens: the answer's token limit.
    """

    example_id: str
    body: dict[str, Any]
    key: str
    demo_ids: tuple[str, ...]
    dropped_demos: tuple[str, ...]
    prompt_tokens: int
    answer_tokens: int


def prompt_format(config: OpenAITeacherConfig) -> PromptFormat:
    """The pair format configured in ``config.prompt``."""
    p = config.prompt
    return PromptFormat(input_prefix=p.input_prefix, output_prefix=p.output_prefix,
                        demo_separator=p.demo_separator, instruction=p.instruction)


class RequestBuilder:
    """Builds :class:`PreparedRequest` objects and counts how often demos were dropped."""

    def __init__(self, config: OpenAITeacherConfig, selector: DemoSelector,
                 count_tokens: TokenCounter = estimate_tokens):
        self.config, self.selector, self.count_tokens = config, selector, count_tokens
        self.fmt = prompt_format(config)
        self.stats = PackingStats()
        self._demo_cost: dict[str, int] = {}

    def decoding(self, max_tokens: int) -> dict[str, Any]:
        """Decoding fields of the body (part of the ledger key)."""
        c = self.config
        params: dict[str, Any] = {c.max_tokens_field: max_tokens, "temperature": c.temperature}
        optional = {"top_p": c.top_p, "seed": c.sampling_seed, "n": c.n if c.n > 1 else None}
        params.update({k: v for k, v in optional.items() if v is not None})
        stop = self.fmt.default_stop() if c.stop is None else c.stop
        if stop:
            params["stop"] = list(stop)
        return {**params, **c.extra_body}

    def _prompt(self, demos: tuple[Demo, ...], query: str) -> dict[str, Any]:
        if self.config.endpoint == "chat":
            return {"messages": render_chat(demos, query, self.fmt, self.config.prompt.chat_layout)}
        return {"prompt": render_completion(demos, query, self.fmt)}

    def _demo_tokens(self, demo: Demo) -> int:
        """Tokens one demo adds to the prompt (cached: demos recur in every prompt)."""
        cost = self._demo_cost.get(demo.id)
        if cost is None:
            if self.config.endpoint == "chat" and self.config.prompt.chat_layout == "turns":
                cost = (self.count_tokens(f"{self.fmt.input_prefix}{demo.input}")
                        + self.count_tokens(demo.output) + 2 * _CHAT_MESSAGE_OVERHEAD)
            else:
                cost = self.count_tokens(render_demo(demo, self.fmt))
            self._demo_cost[demo.id] = cost
        return cost

    def _fixed_tokens(self, query: str) -> int:
        """Tokens of everything but the demos: instruction, query, message overheads."""
        chat = self.config.endpoint == "chat"
        turns = chat and self.config.prompt.chat_layout == "turns"
        query_text = f"{self.fmt.input_prefix}{query}" if turns else render_query(query, self.fmt)
        tokens = self.count_tokens(query_text) + (_CHAT_MESSAGE_OVERHEAD if chat else 0)
        if self.fmt.instruction:
            tokens += self.count_tokens(self.fmt.instruction) + (
                _CHAT_MESSAGE_OVERHEAD if chat else 0)
        return tokens

    def build(self, example: Example) -> PreparedRequest:
        """The request labelling ``example`` (same input, same seed: same request)."""
        ranked = self.selector.select(example.id, example.source)
        budget = self.config.prompt.context_tokens - self.config.max_tokens
        fixed = self._fixed_tokens(example.source)
        # blocks are joined by whitespace, so the prompt's size is the sum of its parts'
        packed = pack(ranked, budget, lambda demos: fixed + sum(map(self._demo_tokens, demos)))
        self.stats.add(packed)
        prompt = self._prompt(packed.demos, example.source)
        body = {"model": self.config.model, **prompt, **self.decoding(self.config.max_tokens)}
        return PreparedRequest(
            example_id=example.id, body=body, key=request_key(BACKEND, self.config.endpoint, body),
            demo_ids=tuple(d.id for d in packed.demos), dropped_demos=packed.dropped,
            prompt_tokens=packed.tokens, answer_tokens=self.config.max_tokens,
        )

    def with_max_tokens(self, request: PreparedRequest, max_tokens: int) -> PreparedRequest:
        """The same request with a larger answer limit (for truncated answers)."""
        body = {**request.body, self.config.max_tokens_field: max_tokens}
        return dataclasses.replace(request, body=body, answer_tokens=max_tokens,
                                   key=request_key(BACKEND, self.config.endpoint, body))
