"""One call to WeChat Pay as both clients (v2 and v3) make it: each attempt timed, recorded for
metrics and logged when it fails, retried by :mod:`payment.wechatpay.retry`."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import structlog

from payment.wechatpay.constants import SUCCESS
from payment.wechatpay.errors import RetryableError, WeChatPayError
from payment.wechatpay.retry import RetryPolicy, Timing, call_with_retries

__all__ = ["AttemptRecord", "observed_call"]

T = TypeVar("T")

log = structlog.get_logger("payment.wechatpay")


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """What one call to WeChat did, for metrics: the API, "SUCCESS" or the err_code, how long."""

    api: str
    outcome: str
    seconds: float
    attempt: int


async def observed_call(
    api: str,
    target: str,
    send: Callable[[float | None], Awaitable[T]],
    *,
    policy: RetryPolicy,
    deadline: float | None,
    timing: Timing,
    observer: Callable[[AttemptRecord], None] | None,
) -> T:
    """`send(remaining_seconds)` with retries; `target` (out_trade_no or out_refund_no) is
    named in the log line of a failed attempt."""
    attempt_number = 0

    def record(outcome: str, started: float) -> None:
        if observer is not None:
            observer(AttemptRecord(api, outcome, time.perf_counter() - started, attempt_number))

    async def attempt(remaining: float | None) -> T:
        nonlocal attempt_number
        attempt_number += 1
        started = time.perf_counter()
        try:
            answer = await send(remaining)
        except WeChatPayError as error:
            record(error.err_code, started)
            emit = log.warning if isinstance(error, RetryableError) else log.info
            emit(
                "wechatpay_call_failed",
                api=api,
                out_trade_no=target,
                attempt=attempt_number,
                err_code=error.err_code,
                err_code_des=error.err_code_des,
                error=type(error).__name__,
            )
            raise
        record(SUCCESS, started)
        return answer

    return await call_with_retries(attempt, policy=policy, deadline=deadline, timing=timing)
