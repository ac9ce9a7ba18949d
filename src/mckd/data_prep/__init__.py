"""Dataset directories: seeded splits into labeled pools, unlabeled pool, dev and test.

Task-independent: a task turns its raw corpus into :class:`~mckd.core.records.Example` lists
(e.g. :mod:`mckd.tasks.constituency.prepare` for treebanks), and this package splits them and
writes the directory every later step reads (see :mod:`mckd.data_prep.dataset_dir`).
"""
