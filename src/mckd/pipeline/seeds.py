"""Several seeds of one config: one run directory per seed, under the config's run directory.

``mckd run CONFIG --seeds 0,1,2`` (or ``seeds: [0, 1, 2]`` in the config) runs the config once
per seed into ``<run dir>/seed_<s>/``; each of those is an ordinary run directory (resumable,
with its own resolved config, whose ``seed`` is ``s``). ``mckd report <run dir>`` aggregates
them: mean and spread across seeds, bootstrap intervals over the test examples.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mckd.config.schema import RunConfig
from mckd.core.errors import RunStateError

if TYPE_CHECKING:
    from mckd.pipeline.run import RunResult

log = logging.getLogger(__name__)

SEED_DIR = "seed_{}"


def seed_config(config: RunConfig, seed: int) -> RunConfig:
    """The single-seed config of ``seed``: same settings, ``seed`` set, ``seeds`` cleared, run
    directory ``<run dir>/seed_<seed>``."""
    out = str(config.run_dir() / SEED_DIR.format(seed))
    return config.model_copy(update={"seed": seed, "seeds": None, "output_dir": out})


def run_seeds(config: RunConfig, seeds: Sequence[int], *, force_from: str | None = None,
              force: bool = False) -> list[RunResult]:
    """Run (or resume) ``config`` once per seed, in order.

    Args:
        config: a validated config; its ``seed`` is ignored.
        seeds: distinct seeds.
        force_from: passed to every seed's ``run_pipeline``.
        force: passed to every seed's ``run_pipeline``.

    Returns:
        One ``RunResult`` per seed.

    Raises:
        RunStateError: the run directory holds a single-seed run (its ``manifest.json``).
    """
    from mckd.pipeline.run import run_pipeline

    base = config.run_dir()
    if (base / "manifest.json").exists():
        raise RunStateError(f"{base} holds a single-seed run; give the multi-seed run another "
                            "name or output_dir (each seed goes to <run dir>/seed_<s>)")
    results = []
    for seed in seeds:
        log.info("seed %d of %s: %s", seed, list(seeds), base / SEED_DIR.format(seed))
        results.append(run_pipeline(seed_config(config, seed), force_from=force_from,
                                    force=force))
    return results
