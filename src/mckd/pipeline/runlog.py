"""The run's log file and resource figures (peak memory) recorded per step."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOG_FILE = "run.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@contextmanager
def log_to_file(path: Path) -> Iterator[None]:
    """Append every ``mckd`` log record of INFO and above to ``path`` while the block runs."""
    logger = logging.getLogger("mckd")
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter(_FORMAT, datefmt="%Y-%m-%d %H:%M:%S"))
    old_level = logger.level
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)  # so INFO reaches the file even if the app logs less
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        handler.close()


def peak_gpu_mb() -> float | None:
    """Peak CUDA memory allocated by torch so far, in MiB; None without torch or CUDA.

    torch is never imported here: if no student imported it, there is nothing to measure.
    """
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available():
        return None
    return round(torch.cuda.max_memory_allocated() / 2**20, 1)
