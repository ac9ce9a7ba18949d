"""``OpenAITeacherConfig``: defaults follow the paper, mistakes are named with their fix."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mckd.config.llm import OpenAITeacherConfig


def test_defaults_are_the_papers_prompt_and_safe_decoding():
    config = OpenAITeacherConfig(model="gpt-3.5-turbo-0125")
    assert config.prompt.num_demos == 30 and config.prompt.selection == "random"
    assert config.prompt.input_prefix == "Input: " and config.prompt.output_prefix == "Output: "
    assert config.temperature == 0.0 and config.n == 1 and config.api_key_env == "OPENAI_API_KEY"
    assert config.budget.max_usd is None and config.ledger.path is None


@pytest.mark.parametrize("settings, message", [
    ({}, "model"),
    ({"model": "m", "concurency": 4}, "Extra inputs are not permitted"),
    ({"model": "m", "prompt": {"demos": 3}}, "Extra inputs are not permitted"),
    ({"model": "m", "base_url": "localhost:8000/v1"}, "must start with http"),
    ({"model": "m", "max_tokens": 512, "retry_max_tokens": 256}, "must exceed max_tokens"),
    ({"model": "m", "max_tokens": 4096, "prompt": {"context_tokens": 4096},
      "retry_max_tokens": None}, "no room for the prompt"),
    ({"model": "m", "budget": {"max_usd": 5}}, "max_usd needs token prices"),
    ({"model": "m", "prompt": {"selection": "sparse"}}, "'random', 'fixed', 'bm25' or 'dense'"),
    ({"model": "m", "prompt": {"dense": {"encoder": ""}}}, "at least 1 character"),
    ({"model": "m", "backoff_base_s": 10, "backoff_max_s": 1}, "backoff_max_s"),
])
def test_invalid_settings_are_named(settings, message):
    with pytest.raises(ValidationError, match=message):
        OpenAITeacherConfig(**settings)


def test_a_local_server_config():
    config = OpenAITeacherConfig(model="qwen", base_url="http://127.0.0.1:8000/v1",
                                 api_key_env=None, endpoint="completions", stop=[],
                                 extra_body={"top_k": 1})
    assert config.endpoint == "completions" and config.stop == []
