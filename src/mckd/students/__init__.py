"""Seq2seq students: build, train and generate on (source, target) string pairs.

Backends are registered by short name and imported lazily (torch loads only when one is used).
"""

from __future__ import annotations

from mckd.core.registry import Registry

STUDENTS = Registry("student backend")
STUDENTS.register("seq2seq", "mckd.students.seq2seq:Seq2SeqStudentBackend")
STUDENTS.register("tagger", "mckd.students.tagger:TaggerStudentBackend")
