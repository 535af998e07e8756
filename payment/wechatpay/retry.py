"""Bounded retries with jittered exponential backoff, all inside the caller's deadline.

Only :class:`RetryableError` is retried. Each attempt is a fresh call of the same operation
(same parameters; the request is re-signed with a new nonce, which WeChat's re-entry rule
allows). When the next wait would not fit before the deadline, the last error is raised.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from payment.wechatpay.errors import DeadlineExceededError, RetryableError

__all__ = ["RetryPolicy", "Timing", "call_with_retries"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """At most ``max_attempts`` calls; waits of about ``base_delay * 2**n`` capped at
    ``max_delay``, each drawn uniformly from its upper half ("equal jitter")."""

    max_attempts: int = 4
    base_delay: float = 0.1
    max_delay: float = 2.0

    def backoff(self, retry: int, rng: random.Random) -> float:
        ceiling = min(self.max_delay, self.base_delay * 2**retry)
        return rng.uniform(ceiling / 2, ceiling)


@dataclass(frozen=True, slots=True)
class Timing:
    """The clocks and sleep the retry loop uses; tests replace them."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)


async def call_with_retries(
    attempt: Callable[[float | None], Awaitable[T]],
    *,
    policy: RetryPolicy,
    deadline: float | None,
    timing: Timing,
) -> T:
    """Runs ``attempt(remaining_seconds)`` until it returns, raises a non-retryable error, runs
    out of attempts, or the deadline (a ``timing.monotonic`` value) leaves no time for another."""
    last: RetryableError | None = None
    for number in range(policy.max_attempts):
        remaining = None if deadline is None else deadline - timing.monotonic()
        if remaining is not None and remaining <= 0:
            break
        try:
            return await attempt(remaining)
        except RetryableError as error:
            last = error
        if number + 1 == policy.max_attempts:
            break
        wait = max(policy.backoff(number, timing.rng), last.min_backoff)
        if deadline is not None and timing.monotonic() + wait >= deadline:
            break
        await timing.sleep(wait)
    if last is None:
        raise DeadlineExceededError("DEADLINE_EXCEEDED", "the deadline passed before any call")
    out_of_time = deadline is not None and timing.monotonic() >= deadline
    if out_of_time and not isinstance(last, DeadlineExceededError):
        raise DeadlineExceededError(last.err_code, last.err_code_des) from last
    raise last
