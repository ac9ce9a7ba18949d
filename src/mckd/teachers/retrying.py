"""Retrying one request: jittered exponential backoff that honours ``Retry-After``.

A 429 also pauses *every* request of the job until its ``Retry-After`` has passed (a shared
:class:`Pause`), so a rate-limited server is not hammered by the other workers meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from mckd.teachers.openai_client import Answer, CallError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry (see ``OpenAITeacherConfig``)."""

    max_attempts: int = 6
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    max_retry_after_s: float = 600.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Delay after failed attempt ``attempt`` (1-based): base * 2^(attempt-1), capped,
        scaled by a random factor in [0.5, 1) so that workers do not retry in lockstep."""
        cap = min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1))
        return cap * (0.5 + 0.5 * rng.random())


class Pause:
    """A shared "send nothing before" time, pushed back by rate-limit answers."""

    def __init__(self) -> None:
        self.until = 0.0

    def extend(self, seconds: float) -> None:
        """Hold every request for at least ``seconds`` from now."""
        self.until = max(self.until, time.monotonic() + seconds)

    async def wait(self) -> None:
        """Sleep until the pause is over (it may be extended while sleeping)."""
        while (left := self.until - time.monotonic()) > 0:
            await asyncio.sleep(left)


@dataclass(frozen=True)
class Outcome:
    """How one request ended: an answer, or the last error; ``stopped`` if the job stopped
    it before it could succeed (neither answered nor failed: a rerun asks again)."""

    answer: Answer | None
    error: CallError | None
    attempts: int
    latency_s: float = 0.0
    stopped: bool = False


async def call_with_retries(
    call: Callable[[], Awaitable[Answer]],
    policy: RetryPolicy,
    pause: Pause,
    *,
    stopped: Callable[[], bool],
    on_attempt: Callable[[], None],
    rng: random.Random,
) -> Outcome:
    """Call until an answer, a non-retryable error, or ``policy.max_attempts`` attempts.

    Args:
        call: sends the request once; raises :class:`CallError` on failure.
        policy: attempts and delays.
        pause: shared with the job's other requests (extended on 429).
        stopped: True once the job is stopping; no further attempt is made then.
        on_attempt: called before each HTTP attempt (for counting).
        rng: jitter source.
    """
    for attempt in range(1, policy.max_attempts + 1):
        await pause.wait()
        if stopped():
            return Outcome(None, None, attempt - 1, stopped=True)
        on_attempt()
        start = time.monotonic()
        try:
            answer = await call()
        except CallError as exc:
            error = exc
        else:
            return Outcome(answer, None, attempt, time.monotonic() - start)
        if error.kind != "retry":
            return Outcome(None, error, attempt)
        wait = error.retry_after
        if wait is not None and wait > policy.max_retry_after_s:
            return Outcome(None, CallError(
                "fatal", f"{error.message}; the server asks to wait {wait:.0f} s, more than "
                f"max_retry_after_s ({policy.max_retry_after_s:.0f} s): rerun later"), attempt)
        if attempt == policy.max_attempts:
            return Outcome(None, error, attempt)
        if wait is None:
            wait = policy.backoff(attempt, rng)
        else:  # honour the server's wait, plus a little jitter against lockstep retries
            wait += 0.1 * wait * rng.random()
        if error.status == 429:
            pause.extend(wait)
        log.debug("attempt %d failed (%s); retrying in %.2f s", attempt, error.message, wait)
        await asyncio.sleep(wait)
    return Outcome(None, CallError("fatal", "max_attempts must be at least 1"), 0)
