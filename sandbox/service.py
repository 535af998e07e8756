"""The sandbox's core: WeChat's state and rules, the customer's side, and the notifies they cause.

Both front doors use it: the WeChat API endpoints (:mod:`sandbox.wechat_api`) and the control API
(:mod:`sandbox.control_api`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import structlog

from sandbox import notifies
from sandbox.deliveries import Delivery, DeliveryLog, DeliveryState
from sandbox.faults import Faults
from sandbox.ids import Ids
from sandbox.notifier import Notifier
from sandbox.refunds import Refunds
from sandbox.store import Order, Refund, Store
from sandbox.trades import Trades
from sandbox.wire import Merchant

__all__ = ["DeliveryOptions", "Sandbox"]

log = structlog.get_logger("sandbox")


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    """How the payment notify of one simulated payment travels."""

    drop: bool = False
    copies: int = 1
    delay_seconds: float = 0.0
    probe_first: bool = False
    omit_sign_type: bool = False
    succeeded: bool = True


class Sandbox:
    def __init__(
        self,
        merchant: Merchant,
        notifier: Notifier,
        clock: Callable[[], datetime],
        *,
        refund_delay_seconds: float,
        refund_notify_url: str | None,
    ) -> None:
        self.merchant = merchant
        self.notifier = notifier
        self.clock = clock
        self.ids = Ids()
        self.store = Store()
        self.trades = Trades(self.store, self.ids)
        self.refunds = Refunds(self.store, self.ids)
        self.faults = Faults()
        self.deliveries = DeliveryLog()
        self._refund_delay = refund_delay_seconds
        self._refund_notify_url = refund_notify_url

    def pay(self, order: Order, options: DeliveryOptions) -> list[Delivery]:
        """The customer scanned the code and confirmed: the order is paid (or, for a failed
        payment, stays unpaid) and its notify is on its way as ``options`` say."""
        now = self.clock()
        if options.succeeded:
            self.trades.pay(order, now)
        else:
            self.trades.check_payable(order, now)
        log.info(
            "order_paid" if options.succeeded else "payment_failed", out_trade_no=order.out_trade_no
        )
        body = notifies.payment_notify(
            order,
            self.merchant,
            self.ids,
            succeeded=options.succeeded,
            omit_sign_type=options.omit_sign_type,
        )
        if options.drop:
            return [self._delivery(order, "payment", body, state=DeliveryState.DROPPED)]
        probe = None
        if options.probe_first:
            probe = self._delivery(
                order, "probe", notifies.probe_notify(order, self.merchant, self.ids)
            )
        copies = [self._delivery(order, "payment", body, copy=n) for n in range(options.copies)]
        self.notifier.dispatch(copies, probe=probe, delay=options.delay_seconds)
        return [*([probe] if probe else []), *copies]

    def refund(self, fields: Mapping[str, str]) -> Refund:
        refund, created = self.refunds.refund(fields, self.clock())
        if created:
            self.notifier.start(self._settle_later(refund))
        return refund

    async def _settle_later(self, refund: Refund) -> None:
        await self.notifier.sleep(self._refund_delay * self.notifier.time_scale)
        if not self.refunds.settle(refund, self.clock()):
            return
        url = refund.notify_url or self._refund_notify_url
        if url is None:
            log.info("refund_settled_without_notify_url", out_refund_no=refund.out_refund_no)
            return
        body = notifies.refund_notify(refund, self.merchant, self.ids)
        delivery = self.deliveries.new(
            kind="refund",
            out_trade_no=refund.out_trade_no,
            out_refund_no=refund.out_refund_no,
            notify_url=url,
            body=body,
            created_at=self.clock(),
        )
        await self.notifier.deliver(delivery)

    def _delivery(
        self,
        order: Order,
        kind: str,
        body: bytes,
        *,
        copy: int = 0,
        state: DeliveryState = DeliveryState.PENDING,
    ) -> Delivery:
        return self.deliveries.new(
            kind=kind,
            out_trade_no=order.out_trade_no,
            notify_url=order.notify_url,
            body=body,
            created_at=self.clock(),
            copy=copy,
            state=state,
        )

    async def reset(self) -> None:
        """Forgets every order, refund and delivery, stops every notify, clears the faults."""
        await self.notifier.cancel_all()
        self.store.clear()
        self.deliveries.clear()
        self.faults.reset()
