"""The checkpoint rule: when to stop training and which epoch's weights to keep.

The paper has no dev set; it stops when the student's *fidelity* (its score against its own
training targets, here on a fixed sample of them) stops moving. Precisely, after epoch ``e``
(1-based) with score ``s_e``:

- stop if ``e >= min_epochs`` and ``e > patience`` and
  ``max(s_{e-patience} .. s_e) - min(s_{e-patience} .. s_e) <= delta``
  (no movement larger than ``delta`` over the last ``patience`` epochs), or if ``e == max_epochs``;
- keep the weights of the epoch with the highest score; ties go to the later epoch (more
  training at the same score).

With dev pairs and ``select_on_dev`` the same rule runs on the dev score instead. Without any
score (no fidelity function and no dev) every epoch scores None: training runs ``max_epochs``
and the last epoch is kept.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CheckpointRule:
    """Tracks per-epoch scores and decides stopping and the kept epoch.

    Args:
        delta: plateau width (score units, e.g. F1 points).
        patience: epochs the plateau must span.
        min_epochs: never stop before this epoch.
        max_epochs: always stop at this epoch.
    """

    delta: float
    patience: int
    min_epochs: int
    max_epochs: int
    scores: list[float | None] = field(default_factory=list)
    best_epoch: int = 0
    stop_reason: str = ""

    def update(self, score: float | None) -> bool:
        """Record the score of the epoch just finished; True when training should stop."""
        self.scores.append(score)
        epoch = len(self.scores)
        best = self.scores[self.best_epoch - 1] if self.best_epoch else None
        if score is None or best is None or score >= best:
            self.best_epoch = epoch
        if epoch >= self.max_epochs:
            self.stop_reason = f"reached max_epochs {self.max_epochs}"
            return True
        window = self.scores[-(self.patience + 1) :]
        if (
            epoch >= self.min_epochs
            and epoch > self.patience
            and all(s is not None for s in window)
        ):
            spread = max(window) - min(window)  # type: ignore[type-var]
            if spread <= self.delta + 1e-9:  # tolerate float noise (50.1 - 50.0)
                self.stop_reason = (
                    f"score moved {spread:.3f} <= {self.delta} over the last {self.patience} epochs"
                )
                return True
        return False

    def state(self) -> dict[str, Any]:
        """Everything the rule holds, as plain values: ``CheckpointRule(**rule.state())``
        continues where ``rule`` is (a resumed training)."""
        return asdict(self)

    def keep_reason(self) -> str:
        """Why ``best_epoch`` is kept, for the training summary."""
        score = self.scores[self.best_epoch - 1] if self.best_epoch else None
        if score is None:
            return "no score available: kept the last epoch"
        return f"highest score {score:.2f} (ties go to the later epoch)"


#: what the per-epoch score is, by ``summary["selection"]`` (short, for every epoch's line)
SCORE_NAMES = {"fidelity": "fidelity", "dev": "dev score", "exact_match": "exact match"}


def score_name(selection: str) -> str:
    """The per-epoch score's name in log lines (``fidelity``, ``dev score``, ``exact match``)."""
    return SCORE_NAMES.get(selection, selection)


def describe_score(selection: str, examples: int) -> str:
    """One line, logged once before training, saying what the per-epoch score measures:
    a newcomer otherwise reads fidelity (often 80-95) as the student's test score."""
    if selection == "dev":
        return f"per-epoch dev score: the task's score on the {examples} dev pairs (gold)"
    what = ("the task's score of its outputs against" if selection == "fidelity"
            else "% of its outputs equal to")
    return (f"per-epoch {score_name(selection)}: {what} its own training labels (a fixed "
            f"sample of {examples} training pairs; the checkpoint rule stops on its plateau), "
            "not a test score")
