"""Few-shot prompts in the paper's format, for completion and chat endpoints.

The paper prompts with ``Input: <sentence>`` / ``Output: <bracketing>`` pairs followed by the
query's ``Input:`` line and an open ``Output:``. Everything here is strings in, strings out: a
demonstration is a :class:`Demo` triple ``(id, input, output)`` whose output is already written
the way the task wants its targets shown.

Demonstrations are passed in *prompt order*: the last one sits next to the query (put the most
useful one there; :func:`mckd.prompting.packing.pack` returns them that way).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

ChatLayout = Literal["single", "turns"]


class Demo(NamedTuple):
    """One demonstration: a gold example's id, its input and its target as shown in prompts."""

    id: str
    input: str
    output: str


@dataclass(frozen=True)
class PromptFormat:
    """How pairs are written.

    Attributes:
        input_prefix: written before each input (the paper: ``"Input: "``).
        output_prefix: written before each output (the paper: ``"Output: "``).
        pair_separator: between an input and its output.
        demo_separator: between demonstrations (and before the query).
        instruction: optional text before the demonstrations (the system message in chat).
    """

    input_prefix: str = "Input: "
    output_prefix: str = "Output: "
    pair_separator: str = "\n"
    demo_separator: str = "\n\n"
    instruction: str | None = None

    def default_stop(self) -> list[str]:
        """Stop sequences that end an answer where the model starts inventing the next pair."""
        marker = self.input_prefix.strip()
        return [f"\n{marker}"] if marker else []


def render_demo(demo: Demo, fmt: PromptFormat) -> str:
    """One demonstration block, e.g. ``"Input: The dog .\\nOutput: ( ( The ) ... )"``."""
    return f"{fmt.input_prefix}{demo.input}{fmt.pair_separator}{fmt.output_prefix}{demo.output}"


def render_query(query: str, fmt: PromptFormat) -> str:
    """The query block: its input and an open output prefix (trailing space removed)."""
    return f"{fmt.input_prefix}{query}{fmt.pair_separator}{fmt.output_prefix.rstrip()}"


def render_completion(demos: Sequence[Demo], query: str, fmt: PromptFormat) -> str:
    """The whole prompt for a completions endpoint: instruction, demos, then the query."""
    blocks = [fmt.instruction] if fmt.instruction else []
    blocks += [render_demo(d, fmt) for d in demos]
    blocks.append(render_query(query, fmt))
    return fmt.demo_separator.join(blocks)


def render_chat(
    demos: Sequence[Demo], query: str, fmt: PromptFormat, layout: ChatLayout = "single"
) -> list[dict[str, str]]:
    """Chat messages for the same prompt.

    Args:
        demos: demonstrations in prompt order.
        query: the input to label.
        fmt: the pair format; its instruction becomes the system message.
        layout: ``"single"`` puts demos and query in one user message (the completion prompt
            without the instruction); ``"turns"`` makes each demo a user turn (its input line)
            answered by an assistant turn (its output alone), then the query as a user turn.

    Returns:
        A list of ``{"role": ..., "content": ...}`` dicts.
    """
    messages = [{"role": "system", "content": fmt.instruction}] if fmt.instruction else []
    if layout == "single":
        body = fmt.demo_separator.join([render_demo(d, fmt) for d in demos]
                                       + [render_query(query, fmt)])
        return [*messages, {"role": "user", "content": body}]
    if layout != "turns":
        raise ValueError(f"unknown chat layout {layout!r}; valid choices: single, turns")
    for demo in demos:
        messages.append({"role": "user", "content": f"{fmt.input_prefix}{demo.input}"})
        messages.append({"role": "assistant", "content": demo.output})
    messages.append({"role": "user", "content": f"{fmt.input_prefix}{query}"})
    return messages


def extract_answer(text: str, fmt: PromptFormat) -> str:
    """The answer inside a raw generation: a leading output prefix removed, any invented
    follow-up pair (a new input line) cut off, outer whitespace stripped.

    >>> extract_answer(" Output: ( a )\\nInput: b", PromptFormat())
    '( a )'
    """
    answer = text.strip()
    out_marker = fmt.output_prefix.strip()
    if out_marker and answer.startswith(out_marker):
        answer = answer[len(out_marker):].lstrip()
    in_marker = fmt.input_prefix.strip()
    if in_marker:
        cut = answer.find(f"\n{in_marker}")
        if cut >= 0:
            answer = answer[:cut]
    return answer.strip()
