"""Token usage, cost and budget of one labeling job.

:class:`UsageMeter` adds up the usage of every answer the job uses (new ones and ones read from
the ledger), prices it, and refuses a new request that could push spending past the budget:
each request first *reserves* its estimated prompt tokens plus its full answer room, and the
reservation is replaced by the real usage when the answer arrives. The limit is therefore a
hard one, even with many requests in flight.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from mckd.config.llm import BudgetConfig


@dataclass
class UsageMeter:
    """Running totals; all methods are called from one thread (the request loop's).

    Attributes:
        answered: inputs answered by a new request; cached: inputs answered from the ledger.
        failed: inputs whose requests all failed; rejected: inputs the server refused (400).
        truncated: answers kept with finish_reason "length".
        http_requests: HTTP attempts sent (retries included).
    """

    budget: BudgetConfig = field(default_factory=BudgetConfig)
    answered: int = 0
    cached: int = 0
    failed: int = 0
    rejected: int = 0
    truncated: int = 0
    http_requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reserved_prompt: int = 0
    reserved_completion: int = 0
    started: float = field(default_factory=time.monotonic)

    def cost_usd(self, prompt_tokens: int, completion_tokens: int) -> float:
        """Price of the given token counts at the configured rates."""
        return (prompt_tokens * self.budget.usd_per_million_prompt_tokens
                + completion_tokens * self.budget.usd_per_million_completion_tokens) / 1e6

    @property
    def spent_usd(self) -> float:
        """Dollars used so far (new and cached answers)."""
        return self.cost_usd(self.prompt_tokens, self.completion_tokens)

    def add(self, prompt_tokens: int, completion_tokens: int) -> None:
        """Count the usage of one answer (new or read back from the ledger)."""
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens

    def reserve(self, prompt_tokens: int, completion_tokens: int) -> str | None:
        """Reserve room for a request; returns None, or why the budget forbids it."""
        prompt = self.prompt_tokens + self.reserved_prompt + prompt_tokens
        completion = self.completion_tokens + self.reserved_completion + completion_tokens
        max_tokens, max_usd = self.budget.max_tokens, self.budget.max_usd
        if max_tokens is not None and prompt + completion > max_tokens:
            return (f"token budget reached: {self.prompt_tokens + self.completion_tokens:,} "
                    f"tokens used, the next request may need {prompt_tokens + completion_tokens:,}"
                    f" more (budget.max_tokens = {max_tokens:,})")
        if max_usd is not None and self.cost_usd(prompt, completion) > max_usd:
            return (f"cost budget reached: ${self.spent_usd:.4f} spent, the next request may "
                    f"cost ${self.cost_usd(prompt_tokens, completion_tokens):.4f} more "
                    f"(budget.max_usd = {max_usd})")
        self.reserved_prompt += prompt_tokens
        self.reserved_completion += completion_tokens
        return None

    def release(self, prompt_tokens: int, completion_tokens: int) -> None:
        """Give back a reservation (the answer arrived or the request failed)."""
        self.reserved_prompt -= prompt_tokens
        self.reserved_completion -= completion_tokens

    def postfix(self) -> dict[str, str]:
        """Short fields for a tqdm postfix: done/failed, tokens, cost, requests per second."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        out = {
            "done": f"{self.answered + self.cached}",
            **({"cached": f"{self.cached}"} if self.cached else {}),
            "failed": f"{self.failed + self.rejected}",
            "tok": _short(self.prompt_tokens + self.completion_tokens),
            "req/s": f"{self.http_requests / elapsed:.1f}",
        }
        prices = self.budget
        if prices.usd_per_million_prompt_tokens or prices.usd_per_million_completion_tokens:
            out["$"] = f"{self.spent_usd:.2f}"
        return out

    def summary(self) -> dict[str, float | int]:
        """All totals, for logs and the run manifest."""
        return {
            "answered": self.answered, "cached": self.cached, "failed": self.failed,
            "rejected": self.rejected, "truncated": self.truncated,
            "http_requests": self.http_requests, "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens, "cost_usd": round(self.spent_usd, 6),
            "elapsed_s": round(time.monotonic() - self.started, 3),
        }


def _short(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.1f}M"
    if n >= 1_000:
        return f"{n / 1e3:.1f}k"
    return str(n)
