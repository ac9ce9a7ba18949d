"""Prompting: demonstration selection, token-budget packing and prompt rendering.

Strings in, strings out: demonstrations are ``Demo(id, input, output)`` triples whose output a
task has already written in its prompt form; nothing here knows about tasks or LLM clients.
"""

from __future__ import annotations

from mckd.prompting.demos import BM25Selector, DemoSelector, RandomSelector
from mckd.prompting.packing import Packed, PackingStats, estimate_tokens, pack
from mckd.prompting.render import (
    Demo,
    PromptFormat,
    extract_answer,
    render_chat,
    render_completion,
)
from mckd.prompting.selection import SELECTION_METHODS, make_selector

__all__ = [
    "SELECTION_METHODS",
    "BM25Selector",
    "Demo",
    "DemoSelector",
    "Packed",
    "PackingStats",
    "PromptFormat",
    "RandomSelector",
    "estimate_tokens",
    "extract_answer",
    "make_selector",
    "pack",
    "render_chat",
    "render_completion",
]
