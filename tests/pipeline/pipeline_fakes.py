"""Test doubles for pipeline tests: a teacher and a student backend that need no torch and no
calibration.

Importing this module registers both as backend ``fake`` (a run config selects them with
``plugins: [pipeline_fakes]``, ``teacher.backend: fake`` and ``student.backend: fake``;
tests/pipeline must be on sys.path, which pytest arranges in-process and PYTHONPATH does for
subprocesses).

The fake teacher (constituency only) answers each input with its gold bracketing, except a
fixed share picked by a hash of (seed, id): one input in six gets a right-branching tree over
its words (valid, wrong), one in six a refusal (invalid), one in twelve its gold without the
final closing bracket (repaired). Its labels are of mixed quality, as an LLM's.

The fake "learns" deterministically: for an input it saw in training it outputs the training
target (memorisation); for an unseen input it copies the compact target of the most similar
training input with the same number of words (word overlap, ties broken by ``seed``), or a
right-branching tree when no training input has that length. So relabels depend on what each
student was trained on, and two runs with the same seed agree exactly.

It also has the optional capabilities of ``mckd.pipeline.student_support``: ``generate_scored``
gives each output a mean log-probability (0 for a memorised input, lower the less the copied
neighbour overlaps), and ``train`` records a two-epoch history with held-out scores when given
held-out pairs.

``MCKD_FAKE_STUDENT_SLEEP`` (seconds) makes each training slow enough to be killed mid-step.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mckd.core.hashing import stable_seed
from mckd.core.jsonl import write_json
from mckd.core.records import Completion
from mckd.students import STUDENTS
from mckd.students.base import Student, StudentBackend
from mckd.teachers import TEACHERS
from mckd.teachers.base import Teacher

MEMORY = "fake_student.json"
TRAIN_CALLS: list[str] = []  # out_dir of every train() call in this process


def right_branching(n_words: int) -> str:
    """Compact (words style) right-branching tree over ``n_words`` words, e.g. ``(X (X (X X)))``."""
    if n_words == 1:
        return "X"
    return " ".join(["(X"] * (n_words - 1) + ["X" + ")" * (n_words - 1)])


@dataclass(frozen=True)
class Generation:
    text: str
    mean_logprob: float


class FakeStudent(Student):
    def __init__(self, memory: dict[str, Any]):
        self.seen = {s: t for s, t in memory["pairs"]}
        self.by_length: dict[int, list[tuple[str, str]]] = {}
        for s, t in memory["pairs"]:
            self.by_length.setdefault(len(s.split()), []).append((s, t))
        rng = random.Random(memory["seed"])
        for candidates in self.by_length.values():
            rng.shuffle(candidates)

    def _scored(self, source: str) -> Generation:
        if source in self.seen:
            return Generation(self.seen[source], 0.0)
        words = set(source.split())
        candidates = self.by_length.get(len(source.split()))
        if not candidates:
            return Generation(right_branching(len(source.split())), -2.0)
        best = max(candidates, key=lambda st: len(words & set(st[0].split())))
        overlap = len(words & set(best[0].split())) / max(1, len(words))
        return Generation(best[1], round(-1.0 + overlap - 0.001 * len(words), 6))

    def generate(self, sources: Sequence[str], *, constraint: Any = None,
                 progress_desc: str | None = None) -> list[str]:
        return [self._scored(s).text for s in sources]

    def generate_scored(self, sources: Sequence[str], *, constraint: Any = None,
                        progress_desc: str | None = None) -> list[Generation]:
        return [self._scored(s) for s in sources]


class FakeStudentBackend(StudentBackend):
    name = "fake"
    scored_generation = True

    def __init__(self, config: Any = None, task: Any = None):
        if config is not None and config.target_format != "compact":
            raise ValueError("the fake student only speaks the compact target format")
        self.config = config

    def train(self, pairs, out_dir: Path, *, seed: int, constraint=None, fidelity_fn=None,
              dev=None, heldout=None, heldout_fn=None, state_path=None) -> dict[str, Any]:
        TRAIN_CALLS.append(str(out_dir))
        failing = os.environ.get("MCKD_FAKE_STUDENT_FAIL")  # e.g. "stage_1/B"
        if failing and str(out_dir).endswith(failing):
            raise RuntimeError(f"injected failure of {failing}")
        delay = float(os.environ.get("MCKD_FAKE_STUDENT_SLEEP", "0"))
        if delay:
            time.sleep(delay)
        memory = {"pairs": [list(p) for p in pairs], "seed": seed}
        write_json(Path(out_dir) / MEMORY, memory)
        summary: dict[str, Any] = {"epochs": 1, "pairs": len(pairs), "seed": seed}
        if fidelity_fn is not None:
            sample = list(pairs)[:20]
            outputs = FakeStudent(memory).generate([s for s, _ in sample])
            summary["fidelity"] = fidelity_fn([s for s, _ in sample], [t for _, t in sample],
                                              outputs)
            held = None
            if heldout and heldout_fn is not None:
                sources = [s for s, _ in heldout]
                held = heldout_fn(sources, [t for _, t in heldout],
                                  FakeStudent(memory).generate(sources))
            summary.update(selection="fidelity", kept_epoch=2, history=[
                {"epoch": e, "loss": 1.0 / e, "score": summary["fidelity"] * e / 2,
                 **({} if held is None else {"heldout": held * e / 2})} for e in (1, 2)])
        return summary

    def load(self, out_dir: Path) -> FakeStudent:
        return FakeStudent(json.loads((Path(out_dir) / MEMORY).read_text(encoding="utf-8")))


STUDENTS.register("fake", FakeStudentBackend)


class FakeTeacher(Teacher):
    """Gold labels with a fixed, seeded share of damage (see the module doc)."""

    name = "fake"
    is_simulation = True

    def __init__(self, task: Any, config: Any = None, *, seed: int = 0):
        self.task, self.seed = task, seed

    def answer(self, example: Any) -> str:
        gold = self.task.gold_target(example, self.task.target_formats[0])
        pick = stable_seed(self.seed, "fake teacher", example.id) % 12
        if pick < 2:
            compact = right_branching(len(example.source.split()))
            return self.task.check(example.source, compact, "compact").target
        if pick < 4:
            return "I cannot label this sentence."
        return gold[:-1] if pick == 4 else gold

    def complete(self, examples, *, on_result=None):
        for example in examples:
            completion = Completion(id=example.id, text=self.answer(example),
                                    usage={"completion_tokens": len(example.source.split())})
            if on_result is not None:
                on_result(completion)
            yield completion


TEACHERS.register("fake", FakeTeacher)


TINY = Path(__file__).resolve().parents[1] / "fixtures" / "pipeline_tiny"
#: the teacher line of ``tiny_config_text`` (tests of other teachers replace it)
FAKE_TEACHER = "teacher: {backend: fake}\n"


def tiny_config_text(run_dir: Path) -> str:
    """A run config over the tiny fixture dataset with the fake teacher and student (fast, no
    torch)."""
    return (
        "name: tiny\n"
        "plugins: [pipeline_fakes]\n"
        f"output_dir: {run_dir}\n"
        f"data: {{path: {TINY}, labeled: labeled_50}}\n"
        f"{FAKE_TEACHER}"
        "student: {backend: fake}\n"
        "mckd: {stages: 3, partitions: 2}\n"
        "baselines: {vanilla_kd: true}\n"
        "seed: 0\n"
    )


def tiny_config(tmp_path: Path, *overrides: str, run: str = "run"):
    """Load the tiny config (written under ``tmp_path``) with ``key=value`` overrides."""
    from mckd.config.loading import load_config

    path = tmp_path / f"{run}.yaml"
    path.write_text(tiny_config_text(tmp_path / run), encoding="utf-8")
    return load_config(path, list(overrides))
