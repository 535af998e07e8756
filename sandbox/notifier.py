"""Sends notifies the way WeChat does, and records every attempt (reference §1.8, §2.9).

Each delivery is POSTed at once, then again after 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/
3h/6h/6h (times ``time_scale``) until the receiver answers success: for v2 HTTP 200 with XML whose
return_code is SUCCESS, for v3 HTTP 200 or 204. Anything else — FAIL XML, a plain "success",
HTML, an error status, no answer within WeChat's 5 seconds (never scaled), no connection — is
retried. Probes (and v3's deliberately wrong notifies) are sent once. A v3 notify is signed
anew at each attempt.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any

import structlog

from payment.wechatpay import constants as c
from payment.wechatpay.errors import TransportError
from payment.wechatpay.http import HttpPoster
from sandbox.deliveries import Attempt, Delivery, DeliveryState, Outcome
from sandbox.xml_form import XmlError, read_fields

__all__ = ["Notifier"]

log = structlog.get_logger("sandbox.notifier")

MAX_REPLY_BYTES = 64 * 1024
EXCERPT_CHARS = 200


def classify_reply(status: int, body: bytes, api_version: str = "v2") -> Outcome:
    """v3 (§2.9): HTTP 200 or 204 is success, whatever the body. v2 (§1.8): HTTP 200 with XML
    whose return_code is SUCCESS."""
    if api_version == "v3":
        return Outcome.SUCCESS if status in (200, 204) else Outcome.HTTP_ERROR
    if status != 200:
        return Outcome.HTTP_ERROR
    try:
        fields = read_fields(body, max_bytes=MAX_REPLY_BYTES)
    except XmlError:
        return Outcome.INVALID_REPLY
    return Outcome.SUCCESS if fields.get(c.RETURN_CODE) == c.SUCCESS else Outcome.FAIL_REPLY


# How the HTTP port's failures read in the delivery log.
_FAILURES = {"TIMEOUT": Outcome.TIMEOUT, "UNPARSABLE_RESPONSE": Outcome.INVALID_REPLY}


class Notifier:
    """Owns the notify tasks; one long-lived HTTP client carries every attempt."""

    def __init__(
        self,
        http: HttpPoster,
        *,
        clock: Callable[[], datetime],
        time_scale: float = 1.0,
        reply_timeout: float = c.NOTIFY_REPLY_TIMEOUT_SECONDS,
        schedule: tuple[int, ...] = c.NOTIFY_RETRY_SCHEDULE,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        concurrency: int = 16,
    ) -> None:
        self._http = http
        self._clock = clock
        self._scale = time_scale
        self._reply_timeout = reply_timeout
        self._schedule = schedule
        self.sleep = sleep
        self._sending = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def time_scale(self) -> float:
        return self._scale

    def start(self, job: Coroutine[Any, Any, None]) -> None:
        """Runs ``job`` in the background, tracked so that reset and shutdown can stop it."""
        task = asyncio.get_running_loop().create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def dispatch(
        self,
        deliveries: list[Delivery],
        *,
        probe: Delivery | None = None,
        once: Sequence[Delivery] = (),
        delay: float = 0.0,
    ) -> None:
        """Sends ``deliveries`` concurrently after ``delay`` seconds; before them, one at a time
        and once each, ``probe`` and then ``once`` (notifies a receiver must refuse)."""
        first = [*([probe] if probe is not None else []), *once]
        self.start(self._dispatch(deliveries, first, delay))

    async def _dispatch(
        self, deliveries: list[Delivery], first: list[Delivery], delay: float
    ) -> None:
        if delay:
            await self.sleep(delay)
        for single in first:
            outcome = await self._attempt(single)
            single.state = (
                DeliveryState.DELIVERED if outcome is Outcome.SUCCESS else DeliveryState.REJECTED
            )
        await asyncio.gather(*(self.deliver(delivery) for delivery in deliveries))

    async def deliver(self, delivery: Delivery) -> None:
        """Attempts until SUCCESS or the schedule is spent."""
        try:
            for wait in (0, *self._schedule):
                if wait:
                    await self.sleep(wait * self._scale)
                if await self._attempt(delivery) is Outcome.SUCCESS:
                    delivery.state = DeliveryState.DELIVERED
                    return
            delivery.state = DeliveryState.ABANDONED
            log.warning(
                "notify_abandoned", delivery=delivery.id, out_trade_no=delivery.out_trade_no
            )
        except asyncio.CancelledError:
            delivery.state = DeliveryState.CANCELLED
            raise

    async def _attempt(self, delivery: Delivery) -> Outcome:
        number = len(delivery.attempts) + 1
        at = self._clock()
        started = time.perf_counter()
        status: int | None = None
        reply = b""
        async with self._sending:
            try:
                async with asyncio.timeout(self._reply_timeout):
                    status, reply = await self._post(delivery)
                outcome = classify_reply(status, reply, delivery.api_version)
            except TimeoutError:
                outcome = Outcome.TIMEOUT
            except TransportError as error:
                outcome = _FAILURES.get(error.err_code, Outcome.CONNECTION_ERROR)
        attempt = Attempt(
            number=number,
            at=at,
            outcome=outcome,
            http_status=status,
            reply_excerpt=reply[:EXCERPT_CHARS].decode("utf-8", "replace"),
            duration_ms=(time.perf_counter() - started) * 1000,
        )
        delivery.attempts.append(attempt)
        log.info(
            "notify_attempt",
            delivery=delivery.id,
            kind=delivery.kind,
            out_trade_no=delivery.out_trade_no,
            attempt=number,
            http_status=status,
            outcome=outcome.value,
            reply_excerpt=attempt.reply_excerpt,
        )
        return outcome

    async def _post(self, delivery: Delivery) -> tuple[int, bytes]:
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        if delivery.signer is not None:
            headers = {"Content-Type": "application/json", **delivery.signer(delivery.body)}
        answer = await self._http.request(
            "POST",
            delivery.notify_url,
            delivery.body,
            headers,
            connect_timeout=self._reply_timeout,
            read_timeout=self._reply_timeout,
            max_bytes=MAX_REPLY_BYTES,
        )
        return answer.status, answer.body

    async def drain(self) -> None:
        """Waits until every delivery started so far has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel_all(self) -> None:
        """Stops every delivery in flight (a reset or a shutdown)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
