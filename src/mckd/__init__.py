"""mckd: Multistage Collaborative Knowledge Distillation (Zhao et al., ACL 2024).

Importing this package is cheap: torch and transformers are imported only by the modules
that train or run models (``mckd.students``, ``mckd.teachers.transformers_backend``).
"""

__version__ = "0.1.0"
