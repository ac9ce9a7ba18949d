"""Config sections of the ``transformers`` and ``replay`` teachers and the ``dense`` demo
selection: defaults, mistakes named with their fix, fingerprints of older runs unchanged."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mckd.config.llm import OpenAITeacherConfig, PromptConfig, TransformersTeacherConfig
from mckd.config.replay import ReplayTeacherConfig
from mckd.config.teacher import TEACHER_BACKENDS, TeacherConfig


def test_every_backend_has_a_section():
    assert TEACHER_BACKENDS == ("simulated", "openai", "transformers", "replay")
    for backend in TEACHER_BACKENDS:
        assert backend in TeacherConfig.model_fields


@pytest.mark.parametrize("backend, hint", [
    ("openai", "teacher.openai.model=gpt-3.5-turbo"),
    ("transformers", "teacher.transformers.model=/path/to/model"),
    ("replay", "teacher.replay.path=labels.jsonl"),
])
def test_a_missing_backend_section_says_what_to_set(backend, hint):
    with pytest.raises(ValidationError, match=hint.replace(".", r"\.")):
        TeacherConfig(backend=backend)


def test_transformers_defaults_share_the_papers_prompt():
    config = TransformersTeacherConfig(model="/models/llama")
    assert config.endpoint == "chat" and config.temperature == 0.0 and config.device == "auto"
    assert config.prompt == OpenAITeacherConfig(model="m").prompt
    assert TeacherConfig(backend="transformers", transformers={"model": "x"}).backend_options() \
        .model == "x"


@pytest.mark.parametrize("settings, message", [
    ({}, "model"),
    ({"model": "m", "max_tokens": 4096, "prompt": {"context_tokens": 4096}}, "no room"),
    ({"model": "m", "top_p": 0.9}, "top_p needs sampling"),
    ({"model": "m", "dtype": "int4"}, "'auto', 'float32', 'bfloat16' or 'float16'"),
    ({"model": "m", "batch": 4}, "Extra inputs are not permitted"),
])
def test_invalid_transformers_settings_are_named(settings, message):
    with pytest.raises(ValidationError, match=message):
        TransformersTeacherConfig(**settings)


def test_replay_defaults_read_an_mckd_labels_file():
    config = ReplayTeacherConfig(path="runs/x/teacher/labels.jsonl")
    assert (config.join, config.id_field, config.input_field, config.output_field) == (
        "id", "id", "source", "raw")
    assert ReplayTeacherConfig(path="p", sha256="AB" * 32).sha256 == "ab" * 32
    with pytest.raises(ValidationError, match="64 hex digits"):
        ReplayTeacherConfig(path="p", sha256="abc")
    with pytest.raises(ValidationError, match="'id' or 'text'"):
        ReplayTeacherConfig(path="p", join="line")


def test_dense_settings_count_only_when_dense_is_chosen():
    # runs made before 'dense' existed keep their teacher fingerprints (nothing new dumped)
    assert "dense" not in PromptConfig().model_dump()
    assert "dense" not in PromptConfig(dense={"encoder": "/x"}).model_dump(mode="json")
    dense = PromptConfig(selection="dense").model_dump(mode="json")
    assert dense["dense"] == {"encoder": "pinned:all-MiniLM-L6-v2", "max_length": 256}
    assert PromptConfig.model_validate(dense) == PromptConfig(selection="dense")
