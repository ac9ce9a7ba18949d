"""Prompt rendering: the paper's Input/Output format in completion and chat modes."""

from __future__ import annotations

import pytest

from mckd.prompting import Demo, PromptFormat, extract_answer, render_chat, render_completion

DEMOS = [Demo("d1", "The dog barked .", "( ( ( The ) ( dog ) ) ( barked ) ( . ) )"),
         Demo("d2", "Cats sleep .", "( ( Cats ) ( sleep ) ( . ) )")]
PAPER = PromptFormat()


def test_completion_prompt_is_the_papers_format():
    assert render_completion(DEMOS, "Birds sing .", PAPER) == (
        "Input: The dog barked .\nOutput: ( ( ( The ) ( dog ) ) ( barked ) ( . ) )\n\n"
        "Input: Cats sleep .\nOutput: ( ( Cats ) ( sleep ) ( . ) )\n\n"
        "Input: Birds sing .\nOutput:"
    )


def test_instruction_comes_first_and_zero_demos_is_just_the_query():
    fmt = PromptFormat(instruction="Parse the sentence.")
    assert render_completion([], "Hi .", fmt) == "Parse the sentence.\n\nInput: Hi .\nOutput:"


def test_chat_single_message_holds_the_completion_prompt_and_system_holds_the_instruction():
    fmt = PromptFormat(instruction="Parse the sentence.")
    messages = render_chat(DEMOS, "Birds sing .", fmt, "single")
    assert messages[0] == {"role": "system", "content": "Parse the sentence."}
    assert messages[1:] == [{"role": "user",
                             "content": render_completion(DEMOS, "Birds sing .", PAPER)}]


def test_chat_turns_alternate_inputs_and_bare_outputs():
    messages = render_chat(DEMOS, "Birds sing .", PAPER, "turns")
    assert messages == [
        {"role": "user", "content": "Input: The dog barked ."},
        {"role": "assistant", "content": DEMOS[0].output},
        {"role": "user", "content": "Input: Cats sleep ."},
        {"role": "assistant", "content": DEMOS[1].output},
        {"role": "user", "content": "Input: Birds sing ."},
    ]


def test_unknown_chat_layout_is_an_error():
    with pytest.raises(ValueError, match="valid choices: single, turns"):
        render_chat(DEMOS, "x", PAPER, "threaded")  # type: ignore[arg-type]


@pytest.mark.parametrize("raw, answer", [
    (" ( ( a ) ( b ) )", "( ( a ) ( b ) )"),
    ("Output: ( a )", "( a )"),
    ("( a )\nInput: next sentence\nOutput: ( b )", "( a )"),
    ("\n\n( a )  \n", "( a )"),
    ("garbage text", "garbage text"),
    ("", ""),
])
def test_extract_answer_strips_prefix_and_invented_next_pair(raw, answer):
    assert extract_answer(raw, PAPER) == answer


def test_default_stop_ends_at_the_next_input_line():
    assert PAPER.default_stop() == ["\nInput:"]
    assert PromptFormat(input_prefix="").default_stop() == []
