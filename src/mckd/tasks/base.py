"""The interface every task implements.

Strings cross this boundary. A *target* is the string a model is trained to produce; every task
has a canonical target format (``"paper"`` for parsing: the paper's unlabeled bracketing) and may
offer others (e.g. a compact form that from-scratch students learn faster). Gold lives in
``Example.gold`` in whatever serialisation the task chooses (for parsing, a PTB tree string).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from typing import Any, Protocol

from mckd.core.errors import ConfigError
from mckd.core.records import Checked, Example
from mckd.tasks.grammar import Grammar

#: a word (letters/digits, with inner - ' ’ / . joining parts) or one other visible character
_WORD_OR_MARK = re.compile(r"\w+(?:[-'’/]\w+)*|[^\w\s]")


class DecodingConstraint(Protocol):
    """Token-by-token constraint over a task's *symbols* (whitespace-separated target tokens).

    A student with a word-level target vocabulary maps symbols to token ids and masks every
    other id at each decoding step, so that each finished output is well formed for its input.
    ``EOS`` is the symbol meaning "the output may end here".
    """

    EOS: str

    def symbols(self, max_words: int) -> list[str]:
        """Every symbol the constraint can allow for inputs of up to ``max_words`` words
        (``EOS`` excluded); students add them to a word-level target vocabulary so that no
        admitted symbol is out of vocabulary."""

    def start(self, source: str) -> Any:
        """Return the initial state for one input."""

    def allowed(self, state: Any) -> Collection[str]:
        """Symbols allowed next in ``state`` (never empty).

        Usually a set. A constraint whose symbols are combinatorial may return a container
        that only answers ``symbol in allowed`` (TOP's ``words`` format does): the ``tagger``
        student tests its own labels against it; the ``seq2seq`` student needs a set."""

    def advance(self, state: Any, symbol: str) -> Any:
        """Return the state after emitting ``symbol``."""


class Task(ABC):
    """A structured sequence-generation task."""

    name: str = "task"
    #: target formats this task can produce; the first is canonical.
    target_formats: tuple[str, ...] = ("paper",)

    @abstractmethod
    def load(self, path: str) -> list[Example]:
        """Read a dataset file (JSONL of ``Example`` dicts) into examples."""

    @abstractmethod
    def gold_target(self, example: Example, fmt: str = "paper") -> str:
        """The target string for ``example``'s gold in format ``fmt``."""

    @abstractmethod
    def check(self, source: str, text: str, fmt: str = "paper") -> Checked:
        """Validate/repair a generated string; ``Checked.target`` is in the canonical format."""

    @abstractmethod
    def convert(self, source: str, target: str, fmt: str) -> str:
        """Turn a canonical target into format ``fmt`` (identity for the canonical format)."""

    @abstractmethod
    def score(self, gold: Sequence[Example], predictions: Sequence[Checked]) -> dict[str, float]:
        """Corpus metrics of predictions against gold; invalid predictions count as failures."""

    @abstractmethod
    def example_score(self, gold: Example, prediction: Checked) -> float:
        """Per-example headline score in [0, 1] (for parsing: the paper's sentence F1)."""

    @abstractmethod
    def agreement(self, source: str, reference: str, prediction: Checked) -> float:
        """Score in [0, 1] of a prediction against a canonical *target string* (not gold).

        Used for fidelity (student vs its training pseudolabels) and stage-to-stage agreement.
        """

    def headline_metric(self) -> str:
        """Key in ``score``'s result that tables lead with."""
        return "f1"

    def constraint(self, fmt: str) -> DecodingConstraint | None:
        """A decoding constraint for targets in ``fmt``, or None if the task has none."""
        return None

    def tokenize(self, text: str) -> str:
        """Plain text -> this task's input form, tokens joined by single spaces, tokenized as
        its data is (``mckd predict`` applies it to plain-text inputs). This default, for
        utterances (slot filling, TOP): whitespace, and punctuation split off as tokens of
        its own (``St. Louis?`` -> ``St . Louis ?``) except inside a word (``post-punk``,
        ``don't``, ``24/7``); case is kept."""
        return " ".join(_WORD_OR_MARK.findall(text))

    def output_grammar(self, source: str) -> Grammar:
        """A grammar admitting only well-formed outputs for ``source`` in the canonical
        target format (the one LLM prompts show), for grammar-constrained teacher decoding
        (``teacher.openai.constrain: grammar``); see :mod:`mckd.tasks.grammar`.

        Raises:
            ConfigError: the task offers no output grammar.
        """
        raise ConfigError(f"teacher.openai.constrain: grammar is not supported for task "
                          f"{self.name!r} (output grammars exist for: constituency, slots); "
                          "set teacher.openai.constrain: none")

    def options(self) -> dict[str, Any]:
        """Constructor options that rebuild this task with what it learned from its data
        (e.g. a label inventory): ``type(task)(**task.options())``. Students record them, so
        ``mckd predict`` decodes with the same inventory the student was trained under."""
        return {}
