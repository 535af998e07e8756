"""The refunds still PROCESSING here, asked about at WeChat: their notify may be lost.

A refund's outcome reaches the worker by its notify, or, for an order still PENDING, through a
REFUND-state poll; a paid order is no longer polled. So each pass also looks at the refunds that
have been PROCESSING here for a while and reports what WeChat says of each that settled (the
worker counts a SUCCESS once; a repeat is a duplicate). A reservation WeChat never received (no
refund id, and WeChat has no such refund long after it was made: the RefundOrder call that made it
failed before WeChat answered and was never repeated) is released, so it holds no money.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from order.payments import Payments
from order.reconcile.rate import RateLimiter
from order.store import RefundStore
from order.wire import refund_report
from paystream.events.v1 import events_pb2
from paystream.payment.v1 import types_pb2
from runtime.logs import get_logger

log = get_logger("order.reconcile")

Report = Callable[[events_pb2.PaymentObserved], Awaitable[None]]


@dataclass
class SweepSummary:
    checked: int = 0
    reported: int = 0
    released: int = 0
    errors: int = 0


@dataclass(frozen=True)
class SweepLimits:
    check_after: timedelta
    """A refund is asked about once it has been PROCESSING here this long."""
    release_after: timedelta
    """A reservation WeChat does not know is released once it is this old."""
    batch_size: int
    call_timeout: float


class RefundSweep:
    def __init__(
        self,
        refunds: RefundStore,
        payments: Payments,
        report: Report,
        limiter: RateLimiter,
        limits: SweepLimits,
    ) -> None:
        self._refunds = refunds
        self._payments = payments
        self._report = report
        self._limiter = limiter
        self._limits = limits

    async def run(self, now: datetime) -> SweepSummary:
        summary = SweepSummary()
        for open_refund in await self._refunds.open_since(
            now - self._limits.check_after, self._limits.batch_size
        ):
            await self._limiter.acquire()
            summary.checked += 1
            try:
                at_wechat = await self._payments.refund_status(
                    open_refund.order_id, open_refund.out_refund_no, self._limits.call_timeout
                )
            except Exception as error:
                summary.errors += 1
                log.warning(
                    "refund_check_failed",
                    out_refund_no=open_refund.out_refund_no,
                    error=type(error).__name__,
                )
                continue
            if at_wechat is None:
                old = open_refund.created_at < now - self._limits.release_after
                if old and not open_refund.refund_id:
                    await self._refunds.release(open_refund.order_id, open_refund.out_refund_no)
                    summary.released += 1
                    log.info("refund reservation released", out_refund_no=open_refund.out_refund_no)
                continue
            if at_wechat.status != types_pb2.REFUND_STATUS_PROCESSING:
                events = events_pb2.OBSERVATION_SOURCE_POLL
                await self._report(refund_report(open_refund.order_id, at_wechat, now, events))
                summary.reported += 1
        return summary
