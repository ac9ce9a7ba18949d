"""A training loop's state after a finished epoch, so an interrupted training resumes there.

After every epoch both training loops (``mckd.students.train`` and ``tagger_train``) save what
the next epochs depend on: model weights, optimizer and scheduler state, the random generators
(torch's, Python's, NumPy's and the loop's own batch-order generator), the checkpoint rule, the
best epoch's weights and the per-epoch history. A rerun that finds the file continues with the
next epoch and, on the same machine and thread count, ends with the same weights as an
uninterrupted training (tested byte for byte). The file is written atomically (a kill leaves
the previous epoch's) and read with ``torch.load(weights_only=True)``: tensors and plain
containers only, no code. The pipeline keys it by the step's input fingerprint and deletes it
when the step finishes (``mckd.pipeline.training``).
"""

from __future__ import annotations

import logging
import random
from pathlib import Path
from typing import Any

from mckd.core.jsonl import atomic_text

log = logging.getLogger(__name__)


def save(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` (tensors, numbers, strings and containers of them) to ``path`` atomically."""
    import torch

    with atomic_text(path, binary=True) as fh:
        torch.save(state, fh)


def load(path: Path | None) -> dict[str, Any] | None:
    """The state saved at ``path``, or None when there is none."""
    import torch

    if path is None or not path.exists():
        return None
    return torch.load(path, weights_only=True)


def rng_states() -> dict[str, Any]:
    """The global random generators' states (torch CPU and CUDA, Python, NumPy)."""
    import numpy as np
    import torch

    kind, keys, pos, has_gauss, gauss = np.random.get_state(legacy=True)
    return {"torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "python": random.getstate(),
            "numpy": (kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, gauss)}


def restore_rngs(states: dict[str, Any]) -> None:
    """Set the global random generators to ``rng_states()``'s result."""
    import numpy as np
    import torch

    torch.set_rng_state(states["torch"])
    if states["cuda"]:
        torch.cuda.set_rng_state_all(states["cuda"])
    random.setstate(states["python"])
    kind, keys, pos, has_gauss, gauss = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))


def log_resume(desc: str, done: int, max_epochs: int, stopped: bool) -> None:
    """The line that says a training continues from saved epoch state."""
    if stopped:
        log.info("%s: resuming after epoch %d/%d, where training had stopped (saved epoch "
                 "state of an interrupted run)", desc, done, max_epochs)
    else:
        log.info("%s: resuming from epoch %d/%d (epochs 1-%d restored from the saved epoch "
                 "state of an interrupted run)", desc, done + 1, max_epochs, done)
