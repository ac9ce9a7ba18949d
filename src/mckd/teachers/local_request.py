"""Turning one input into the exact text a local model generates from, and its ledger key.

The prompt is the ``openai`` backend's (same demos, packing and rendering); in chat mode the
messages go through the tokenizer's chat template (with the generation prompt), otherwise the
completion string is used as it is. The key hashes the model's identity, dtype, the final text
and the decoding parameters: never device or batch size.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from mckd.config.llm import TransformersTeacherConfig
from mckd.core.errors import ConfigError
from mckd.core.records import Example
from mckd.prompting import DemoSelector
from mckd.teachers.ledger import request_key
from mckd.teachers.local_model import LocalLM, context_limit, model_identity
from mckd.teachers.prompt_builder import PromptBuilder

log = logging.getLogger(__name__)

BACKEND = "transformers"
ENDPOINT = "generate"


@dataclass(frozen=True)
class LocalRequest:
    """One prompt, ready to generate from.

    Attributes:
        example_id: the input it labels.
        text: the full prompt text (chat template applied in chat mode).
        body: what the key hashes (model identity, dtype, text, decoding parameters).
        key: the ledger key.
        demo_ids: ids of the demos in the prompt, in prompt order.
        dropped_demos: ids of selected demos dropped to fit the context.
        prompt_tokens: the prompt's size in the model's tokens.
    """

    example_id: str
    text: str
    body: dict[str, Any]
    key: str
    demo_ids: tuple[str, ...]
    dropped_demos: tuple[str, ...]
    prompt_tokens: int


class LocalRequestBuilder(PromptBuilder):
    """Builds :class:`LocalRequest` objects with the model's tokenizer (no weights needed).

    Args:
        config: the backend's settings.
        selector: chooses demos per input.
        lm: the model (only its tokenizer is used here).
        seed: seeds sampling when ``config.sampling_seed`` is null.

    Raises:
        ConfigError: ``max_tokens`` leaves no room in the model's context window.
    """

    def __init__(self, config: TransformersTeacherConfig, selector: DemoSelector, lm: LocalLM,
                 seed: int):
        limit = context_limit(config.model, config.revision)
        context = min(config.prompt.context_tokens, limit or config.prompt.context_tokens)
        if config.max_tokens >= context:
            raise ConfigError(f"teacher.transformers.max_tokens ({config.max_tokens}) leaves no "
                              f"room for the prompt in the model's {context}-token context; "
                              "lower it")
        self.use_template = config.endpoint == "chat" and bool(
            getattr(lm.tokenizer, "chat_template", None))
        if config.endpoint == "chat" and not self.use_template:
            log.warning("the tokenizer of %s has no chat template: prompting with plain "
                        "completion text", config.model)
        super().__init__(config.prompt, chat=self.use_template, answer_tokens=config.max_tokens,
                         selector=selector, count_tokens=lm.count_tokens, context_tokens=context)
        self.config, self.lm, self.context = config, lm, context
        self.sampling_seed = seed if config.sampling_seed is None else config.sampling_seed
        self.identity = model_identity(config.model, config.revision)

    def stop_strings(self) -> list[str]:
        """The configured stop strings (default: a newline plus the input prefix)."""
        return self.fmt.default_stop() if self.config.stop is None else list(self.config.stop)

    def decoding(self) -> dict[str, Any]:
        """Decoding parameters (part of the key; the seed only when sampling)."""
        c = self.config
        params: dict[str, Any] = {"max_new_tokens": c.max_tokens, "temperature": c.temperature,
                                  "stop": self.stop_strings()}
        if c.temperature > 0:
            params.update(top_p=c.top_p, seed=self.sampling_seed)
        return params

    def _text(self, fields: dict[str, Any]) -> str:
        if "prompt" in fields:
            return fields["prompt"]
        from jinja2 import TemplateError

        try:
            return self.lm.tokenizer.apply_chat_template(
                fields["messages"], tokenize=False, add_generation_prompt=True)
        except (TemplateError, ValueError, TypeError) as exc:  # raised inside the template
            raise ConfigError(
                f"the chat template of {self.config.model!r} rejected the prompt ({exc}); "
                "try prompt.instruction: null (some templates allow no system message), "
                "prompt.chat_layout: single, or endpoint: completions") from None

    def build(self, example: Example) -> LocalRequest:
        """The request labelling ``example`` (same input, same seed: same request)."""
        built = self.build_prompt(example)
        text = self._text(built.fields)
        body = {"model": self.identity, "dtype": self.config.dtype, "prompt": text,
                "add_special_tokens": not self.use_template, **self.decoding()}
        tokens = len(self.lm.tokenizer(text, add_special_tokens=not self.use_template)
                     ["input_ids"])
        return LocalRequest(example_id=example.id, text=text, body=body,
                            key=request_key(BACKEND, ENDPOINT, body), demo_ids=built.demo_ids,
                            dropped_demos=built.dropped_demos, prompt_tokens=tokens)
