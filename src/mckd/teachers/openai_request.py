"""Turning one input into the exact request body sent to an OpenAI-compatible server.

The prompt comes from :class:`~mckd.teachers.prompt_builder.PromptBuilder` (demos selected,
packed, rendered); the body holds the model, the prompt (``messages`` or ``prompt``) and the
decoding parameters, and nothing else, so its hash is the ledger key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mckd.config.llm import GRAMMAR_FIELDS, OpenAITeacherConfig
from mckd.core.records import Example
from mckd.prompting import DemoSelector, PromptFormat, estimate_tokens
from mckd.prompting.packing import TokenCounter
from mckd.teachers.ledger import request_key
from mckd.teachers.prompt_builder import PromptBuilder, prompt_format_of

BACKEND = "openai"


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


def grammar_fields(server: str, grammar: str) -> dict[str, Any]:
    """The request fields that carry GBNF text ``grammar`` on ``server`` (``llama.cpp``:
    ``grammar``; ``vllm``: ``structured_outputs: {grammar: ...}``; ``sglang``: ``ebnf``)."""
    field = GRAMMAR_FIELDS[server]
    return {field: {"grammar": grammar} if server == "vllm" else grammar}


def prompt_format(config: OpenAITeacherConfig) -> PromptFormat:
    """The pair format configured in ``config.prompt``."""
    return prompt_format_of(config.prompt)


class RequestBuilder(PromptBuilder):
    """Builds :class:`PreparedRequest` objects and counts how often demos were dropped.

    ``grammar_of`` (with ``constrain: grammar``) gives the GBNF text of an input's source; it
    goes in the body, so the ledger key covers it.
    """

    def __init__(self, config: OpenAITeacherConfig, selector: DemoSelector,
                 count_tokens: TokenCounter = estimate_tokens,
                 grammar_of: Callable[[str], str] | None = None):
        super().__init__(config.prompt, chat=config.endpoint == "chat",
                         answer_tokens=config.max_tokens, selector=selector,
                         count_tokens=count_tokens)
        self.config, self.grammar_of = config, grammar_of

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

    def build(self, example: Example) -> PreparedRequest:
        """The request labelling ``example`` (same input, same seed: same request)."""
        built = self.build_prompt(example)
        body = {"model": self.config.model, **built.fields,
                **self.decoding(self.config.max_tokens)}
        if self.grammar_of is not None:
            body.update(grammar_fields(self.config.grammar_server,
                                       self.grammar_of(example.source)))
        return PreparedRequest(
            example_id=example.id, body=body, key=request_key(BACKEND, self.config.endpoint, body),
            demo_ids=built.demo_ids, dropped_demos=built.dropped_demos,
            prompt_tokens=built.tokens, answer_tokens=self.config.max_tokens,
        )

    def with_max_tokens(self, request: PreparedRequest, max_tokens: int) -> PreparedRequest:
        """The same request with a larger answer limit (for truncated answers)."""
        body = {**request.body, self.config.max_tokens_field: max_tokens}
        return dataclasses.replace(request, body=body, answer_tokens=max_tokens,
                                   key=request_key(BACKEND, self.config.endpoint, body))
