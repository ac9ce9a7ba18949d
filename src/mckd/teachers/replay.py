"""The ``replay`` teacher: pseudolabels read from a JSONL file instead of asked for.

For labels made elsewhere: the paper authors' released gpt-3.5 labels, another lab's run, or
the ``teacher/labels.jsonl`` of an earlier mckd run (the defaults read that file as it is).
Each input is joined to one line of the file by id or by text (``teacher.replay.join``); the
label text is replayed exactly as written, and the pipeline's task check parses and repairs it
like any teacher's answer.

An input with no line in the file is not dropped: it gets a completion with finish_reason
``missing`` and the reason in ``meta["error"]``, so it is recorded as invalid (scoring 0 on
test, never a training target). :attr:`ReplayTeacher.report` counts what joined and what did
not, with the first few examples of each; it is logged and goes into the run manifest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mckd.config.replay import ReplayTeacherConfig
from mckd.core.errors import DataError
from mckd.core.hashing import file_fingerprint
from mckd.core.jsonl import read_jsonl
from mckd.core.records import Completion, Example
from mckd.tasks.base import Task
from mckd.teachers.base import Teacher

log = logging.getLogger(__name__)

#: finish reason of an input the file has no label for
MISSING = "missing"
_SHOWN = 5  # examples listed per problem in the report


@dataclass(frozen=True)
class ReplayRecord:
    """One record (JSON object) of the replay file; ``number`` counts records from 1."""

    number: int
    text: str
    finish_reason: str = "stop"
    usage: dict[str, int] = field(default_factory=dict)
    demo_ids: list[str] = field(default_factory=list)


def _field(row: dict[str, Any], name: str, setting: str, path: Path, record: int) -> str:
    value = row.get(name)
    if isinstance(value, int) and not isinstance(value, bool) and setting == "id":
        return str(value)  # numeric ids
    if not isinstance(value, str):
        fields = ", ".join(sorted(row)) or "none"
        raise DataError(f"record {record} has no string field {name!r} (teacher.replay."
                        f"{setting}_field); it has: {fields}. Set teacher.replay.{setting}_field "
                        "to the right name", path=str(path))
    return value


def _record(row: dict[str, Any], output: str, number: int) -> ReplayRecord:
    meta = row.get("meta") if isinstance(row.get("meta"), dict) else {}
    finish = row.get("finish_reason", meta.get("finish_reason"))
    usage = row.get("usage") if isinstance(row.get("usage"), dict) else {}
    teacher_meta = meta.get("teacher") if isinstance(meta.get("teacher"), dict) else {}
    demo_ids = row.get("demo_ids", teacher_meta.get("demo_ids"))
    return ReplayRecord(
        number=number, text=output,
        finish_reason=finish if isinstance(finish, str) and finish else "stop",
        usage={k: v for k, v in usage.items() if isinstance(v, int)},
        demo_ids=[str(d) for d in demo_ids] if isinstance(demo_ids, list) else [])


class ReplayTeacher(Teacher):
    """Replays pseudolabels from ``config.path``, joined to inputs by id or text.

    Args:
        task: unused (labels are replayed as written); accepted like every backend.
        config: the file, the join and the field names.
        seed: unused (nothing is random).

    Raises:
        DataError: the file is missing, not JSONL, lacks a configured field, or its SHA-256
            differs from ``config.sha256``.
    """

    name = "replay"

    def __init__(self, task: Task, config: ReplayTeacherConfig, *, seed: int = 0):
        self.config = config
        self.path = Path(config.path).expanduser()
        if not self.path.is_file():
            raise DataError("replay file not found; check teacher.replay.path", path=str(self.path))
        self.sha256 = file_fingerprint(self.path)
        if config.sha256 is not None and config.sha256 != self.sha256:
            raise DataError(f"SHA-256 is {self.sha256}, teacher.replay.sha256 expects "
                            f"{config.sha256}: the file changed. Point the config at the "
                            "right file or update the hash", path=str(self.path))
        self.records: dict[str, ReplayRecord] = {}
        self.duplicates: list[str] = []  # keys seen again with a different label
        self.n_records = self._read()
        self.report: dict[str, Any] = {}

    def key(self, text_or_id: str) -> str:
        """The join key: an id as is; a text with whitespace runs collapsed (and lower-cased
        when ``lowercase``)."""
        if self.config.join == "id":
            return text_or_id
        key = " ".join(text_or_id.split())
        return key.lower() if self.config.lowercase else key

    def _read(self) -> int:
        c, count = self.config, 0
        setting = "id" if c.join == "id" else "input"
        key_field = c.id_field if c.join == "id" else c.input_field
        for count, row in enumerate(read_jsonl(self.path), start=1):
            key = self.key(_field(row, key_field, setting, self.path, count))
            record = _record(row, _field(row, c.output_field, "output", self.path, count), count)
            first = self.records.setdefault(key, record)
            if first is not record and first.text != record.text:
                self.duplicates.append(key)
        if self.duplicates:
            log.warning("%s: %d key(s) appear again with a different label; the first record "
                        "wins (e.g. %r)", self.path, len(self.duplicates), self.duplicates[0])
        return count

    def describe(self) -> dict[str, object]:
        """The file, its hash, the join settings and the join report of the last call."""
        c = self.config
        return {"backend": self.name, "simulation": False, "path": str(self.path),
                "sha256": self.sha256, "join": c.join, "fields": {
                    "id": c.id_field, "input": c.input_field, "output": c.output_field},
                "lowercase": c.lowercase, "records": len(self.records),
                "report": self.report}

    def complete(self, examples: Sequence[Example], *,
                 on_result: Callable[[Completion], None] | None = None) -> Iterator[Completion]:
        """Yield one completion per example: its replayed label, or a ``missing`` one."""
        examples = list(examples)
        used: set[str] = set()
        unjoined: list[Example] = []
        for ex in examples:
            key = self.key(ex.id if self.config.join == "id" else ex.source)
            record = self.records.get(key)
            if record is None:
                unjoined.append(ex)
                completion = Completion(id=ex.id, text="", finish_reason=MISSING, meta={
                    "error": f"no label in the replay file {self.path.name} for this input "
                             f"(joined by {self.config.join}: {key!r})", "cache_hit": False})
            else:
                used.add(key)
                meta: dict[str, Any] = {"replay_record": record.number, "cache_hit": False}
                if record.demo_ids:
                    meta["demo_ids"] = record.demo_ids
                completion = Completion(id=ex.id, text=record.text,
                                        finish_reason=record.finish_reason,
                                        usage=dict(record.usage), meta=meta)
            if on_result is not None:
                on_result(completion)
            yield completion
        self.report = self._report(examples, unjoined, used)
        level = logging.WARNING if unjoined else logging.INFO
        log.log(level, "replay %s: %s", self.path, self.report)

    def _report(self, examples: list[Example], unjoined: list[Example],
                used: set[str]) -> dict[str, Any]:
        unused = [k for k in self.records if k not in used]
        return {
            "inputs": len(examples), "joined": len(examples) - len(unjoined),
            "unjoined": len(unjoined),
            "unjoined_examples": [{"id": ex.id, "source": ex.source[:200]}
                                  for ex in unjoined[:_SHOWN]],
            "file_records": self.n_records, "unused_records": len(unused),
            "unused_examples": [k[:200] for k in unused[:_SHOWN]],
            "conflicting_duplicates": len(self.duplicates),
        }
