"""Reading the common slot-filling split layout: line-aligned ``seq.in`` / ``seq.out`` / ``label``.

One folder per split (``train/``, ``valid/``, ``test/``, as in Goo et al. 2018's ATIS and SNIPS
copies); in each, line ``k`` of ``seq.in`` is an utterance's words, line ``k`` of ``seq.out``
its BIO tags (one per word) and line ``k`` of ``label`` its intent. ``label`` may be absent.
Intents are kept as given, including ATIS's multi-intent labels joined with ``#``
(``atis_flight#atis_airfare``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from mckd.core.errors import DataError
from mckd.core.records import Example
from mckd.tasks.slots.formats import is_tag

logger = logging.getLogger(__name__)

WORDS, TAGS, INTENTS = "seq.in", "seq.out", "label"


def read_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 text file without line ends; trailing blank lines are dropped.

    Raises:
        DataError: the file is missing or not UTF-8 (naming the line).
    """
    if not path.is_file():
        raise DataError("file not found", path=str(path))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError("not UTF-8 text; re-encode the file as UTF-8", path=str(path),
                        line=raw[:exc.start].count(b"\n") + 1) from None
    lines = [line.rstrip("\r") for line in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _check_aligned(files: dict[str, tuple[Path, list[str]]]) -> None:
    """All files of a split have as many lines as ``seq.in``."""
    words_path, words = files[WORDS]
    for name, (path, lines) in files.items():
        if len(lines) != len(words):
            raise DataError(
                f"{words_path} has {len(words)} lines but {path} has {len(lines)}; the files of "
                f"a split must be line-aligned (line k of each describes utterance k): fix or "
                f"regenerate {name}")


def _line_problem(words: list[str], tags: list[str], words_path: Path, lineno: int) -> str:
    if not words:
        return f"empty line; every line of {WORDS} is one utterance"
    if len(tags) != len(words):
        return (f"{len(tags)} tags for the {len(words)} words of {words_path} line {lineno}; "
                "give one tag per word")
    bad = next((t for t in tags if not is_tag(t)), None)
    return f"tag {bad!r} is not O, B-<type> or I-<type>" if bad is not None else ""


def read_seq_folder(folder: str | os.PathLike[str], prefix: str) -> list[Example]:
    """Read one split folder (``seq.in``, ``seq.out``, optional ``label``) into examples.

    Example ids are ``<prefix>-<line:05d>``; meta holds the words file (``<split>/seq.in``),
    the line and, when there is a ``label`` file, the intent.

    Args:
        folder: the split folder.
        prefix: id prefix, e.g. ``atis-train``.

    Returns:
        One example per line, in file order: source = words, gold = BIO tags.

    Raises:
        DataError: a missing folder or file, line counts that differ between the files
            (naming both files and counts), or a line whose tag count differs from its word
            count or that holds a malformed tag (naming file and line).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"folder not found; it should hold {WORDS}, {TAGS} and {INTENTS}",
                        path=str(folder))
    names = [WORDS, TAGS] + ([INTENTS] if (folder / INTENTS).exists() else [])
    if INTENTS not in names:
        logger.warning("%s has no %s file: its utterances get no intent", folder, INTENTS)
    files = {name: (folder / name, read_lines(folder / name)) for name in names}
    _check_aligned(files)
    words_path, tags_path = folder / WORDS, folder / TAGS
    examples = []
    for k, line in enumerate(files[WORDS][1], start=1):
        words, tags = line.split(), files[TAGS][1][k - 1].split()
        problem = _line_problem(words, tags, words_path, k)
        if problem:
            where = words_path if not words else tags_path
            raise DataError(problem, path=str(where), line=k)
        meta = {"file": f"{folder.name}/{WORDS}", "line": k}
        if INTENTS in files:
            intent = files[INTENTS][1][k - 1].strip()
            if not intent:
                raise DataError("empty intent; give each utterance's intent on its line",
                                path=str(folder / INTENTS), line=k)
            meta["intent"] = intent
        examples.append(Example(id=f"{prefix}-{k:05d}", source=" ".join(words),
                                gold=" ".join(tags), meta=meta))
    return examples
