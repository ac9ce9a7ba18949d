"""Data-parallel training through Accelerate, for ``accelerate launch`` / ``torchrun``.

Launched with several processes (``WORLD_SIZE`` > 1), every process runs the same program: it
builds the same tokenizer, model and batch plan from the same seed, and ``Replicas`` splits
each *effective batch* (one optimizer step) among the processes. Gradients are averaged by
DDP, so each process scales its loss by the number of processes: the step's gradient is then
the same sum over the whole effective batch divided by its target-token count as in one
process (up to float summation order and dropout's random streams).

Every process runs the same number of forward/backward passes per step (a process with fewer
examples runs zero-weight passes), only the main process evaluates, and its score is broadcast,
so the checkpoint rule decides the same on every process. Without a launcher nothing here is
used and training is exactly the single-process loop.

A script that trains a student (``Seq2SeqStudentBackend.train``, or ``train_loop``) runs
data-parallel unchanged under a launcher (``tests/students/ddp_worker.py`` is one)::

    accelerate launch --multi_gpu --num_processes 2 train_my_student.py
    torchrun --nproc_per_node 2 train_my_student.py       # also on CPU (gloo)

``mckd run`` under a launcher trains every student this way while process 0 alone labels,
relabels, evaluates and writes the run directory: see ``mckd.pipeline.launched``.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Sequence
from typing import Any

log = logging.getLogger(__name__)


def world_size() -> int:
    """Processes started by the launcher (1 without one)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    """True in a single process and on rank 0 of a launched group."""
    return int(os.environ.get("RANK", "0")) == 0


def _state() -> Any:
    import torch
    from accelerate import PartialState

    # without cpu=True Accelerate treats a CPU-only torchrun group as one process
    return PartialState(cpu=not torch.cuda.is_available())


def broadcast_from_main(value: Any) -> Any:
    """The main process's ``value`` (picklable) on every process; ``value`` itself in one."""
    if world_size() == 1:
        return value
    from accelerate.utils import broadcast_object_list

    _state()  # initialises the process group
    return broadcast_object_list([value], from_process=0)[0]


def barrier() -> None:
    """Wait for every process (no-op in a single process)."""
    if world_size() > 1:
        _state().wait_for_everyone()


class Replicas:
    """This process's share of data-parallel training (needs a launcher: ``WORLD_SIZE`` > 1)."""

    def __init__(self) -> None:
        import torch
        from accelerate import Accelerator

        self.accelerator = Accelerator(cpu=not torch.cuda.is_available())  # see _state
        self.rank = self.accelerator.process_index
        self.size = self.accelerator.num_processes
        self.is_main = self.accelerator.is_main_process
        self.device = self.accelerator.device

    def prepare(self, model: Any) -> Any:
        """The model on this process's device, wrapped for gradient averaging (DDP)."""
        model.to(self.device)
        wrapped = self.accelerator.prepare_model(model)
        log.info("data-parallel training: process %d of %d on %s", self.rank, self.size, self.device)
        return wrapped

    def micro_batches(self, batch: Sequence[int], micro_batch_size: int | None) -> list[tuple[list[int], float]]:
        """This process's micro-batches of one effective batch, with loss weights.

        Examples are dealt round-robin (``batch`` is a random draw, so shares
        stay alike); every process gets the same number of micro-batches, padded with
        zero-weight repeats of the batch's first example so collective calls line up.

        Returns:
            (example indices, weight) pairs; weight is ``world size`` or 0.0 (padding).
        """
        shares = [list(batch[r :: self.size]) for r in range(self.size)]
        size = micro_batch_size or max(len(s) for s in shares)
        counts = [-(-len(s) // size) for s in shares]
        mine = shares[self.rank]
        micros = [(mine[k : k + size], float(self.size)) for k in range(0, len(mine), size)]
        micros += [([batch[0]], 0.0)] * (max(counts) - len(micros))
        return micros

    def sync(self, model: Any, last: bool) -> Any:
        """Context for one backward: gradients are averaged only on the last micro-batch."""
        return contextlib.nullcontext() if last else self.accelerator.no_sync(model)

    def total(self, value: float) -> float:
        """``value`` summed over processes."""
        import torch

        tensor = torch.tensor([value], dtype=torch.float64, device=self.device)
        return float(self.accelerator.reduce(tensor, reduction="sum").item())

    def from_main(self, value: Any) -> Any:
        """The main process's ``value`` on every process (a picklable object)."""
        from accelerate.utils import broadcast_object_list

        return broadcast_object_list([value], from_process=0)[0]
