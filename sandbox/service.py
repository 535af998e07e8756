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
from sandbox.bill_links import BillLinks
from sandbox.bills import Bills
from sandbox.clock import SandboxClock
from sandbox.deliveries import Delivery, DeliveryLog, DeliveryState
from sandbox.failures import PayRefusedError
from sandbox.faults import Faults
from sandbox.ids import Ids
from sandbox.notifier import Notifier
from sandbox.refunds import Refunds
from sandbox.store import ApiVersion, Order, Refund, Store
from sandbox.trades import Trades
from sandbox.v3_notifies import NotifyMessage, Tamper, V3Notifies
from sandbox.v3_platform import V3Side
from sandbox.wire import Merchant

__all__ = ["DeliveryOptions", "Sandbox"]

log = structlog.get_logger("sandbox")


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    """How the payment notify of one simulated payment travels."""

    drop: bool = False
    hold: bool = False
    """Keep the notify until :meth:`Sandbox.release` (a notify delayed for as long as a test
    needs, e.g. until a refund's notify has been delivered)."""
    copies: int = 1
    delay_seconds: float = 0.0
    probe_first: bool = False
    omit_sign_type: bool = False
    succeeded: bool = True
    tamper_first: tuple[Tamper, ...] = ()
    """v3 only: deliberately wrong notifies sent once each (after the probe, before the real
    one)."""


@dataclass(frozen=True, slots=True)
class _PaymentNotify:
    """The deliveries of one payment's notify, as :meth:`Notifier.dispatch` takes them."""

    copies: list[Delivery]
    probe: Delivery | None = None
    once: tuple[Delivery, ...] = ()

    @property
    def every(self) -> list[Delivery]:
        return [*([self.probe] if self.probe else []), *self.once, *self.copies]


class Sandbox:
    def __init__(
        self,
        merchant: Merchant,
        notifier: Notifier,
        clock: Callable[[], datetime],
        *,
        refund_delay_seconds: float,
        refund_notify_url: str | None,
        v3: V3Side | None = None,
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
        self.bills = Bills(self.store, merchant)
        self.bill_links = BillLinks()
        self._refund_delay = refund_delay_seconds
        self._refund_notify_url = refund_notify_url
        self.v3 = v3
        self.v3_notifies = V3Notifies(v3.merchant, v3.platform, clock) if v3 else None
        self._held: dict[str, list[_PaymentNotify]] = {}

    def pay(self, order: Order, options: DeliveryOptions) -> list[Delivery]:
        """The customer scanned the code and confirmed: the order is paid (or, for a failed
        payment, stays unpaid) and its notify is on its way as ``options`` say."""
        v3 = order.api_version is ApiVersion.V3
        if options.tamper_first and not v3:
            raise PayRefusedError("V3_ONLY", "tamper_first needs an order placed with API v3")
        now = self.clock()
        if options.succeeded:
            self.trades.pay(order, now)
        else:
            self.trades.check_payable(order, now)
        log.info(
            "order_paid" if options.succeeded else "payment_failed", out_trade_no=order.out_trade_no
        )
        if v3:
            return self._pay_v3(order, options)
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
        self._dispatch(order, options, _PaymentNotify(copies, probe))
        return [*([probe] if probe else []), *copies]

    def _pay_v3(self, order: Order, options: DeliveryOptions) -> list[Delivery]:
        """v3 notifies only a success (TRANSACTION.SUCCESS): a failed payment sends nothing."""
        v3 = self._v3_notifies()
        if not options.succeeded:
            return []
        message = v3.payment(order)
        if options.drop:
            return [self._delivery(order, "payment", message, state=DeliveryState.DROPPED)]
        probe = self._delivery(order, "probe", v3.probe(order)) if options.probe_first else None
        once = [
            self._delivery(order, "tampered", v3.tampered(order, kind), tamper=kind)
            for kind in options.tamper_first
        ]
        copies = [self._delivery(order, "payment", message, copy=n) for n in range(options.copies)]
        self._dispatch(order, options, _PaymentNotify(copies, probe, tuple(once)))
        return [*([probe] if probe else []), *once, *copies]

    def _dispatch(self, order: Order, options: DeliveryOptions, notify: _PaymentNotify) -> None:
        if options.hold:
            for delivery in notify.every:
                delivery.state = DeliveryState.HELD
            self._held.setdefault(order.out_trade_no, []).append(notify)
            return
        self.notifier.dispatch(
            notify.copies, probe=notify.probe, once=notify.once, delay=options.delay_seconds
        )

    def release(self, out_trade_no: str) -> list[Delivery]:
        """Sends the order's held notifies now (each as it would have been sent); returns them."""
        released: list[Delivery] = []
        for notify in self._held.pop(out_trade_no, []):
            for delivery in notify.every:
                delivery.state = DeliveryState.PENDING
            self.notifier.dispatch(notify.copies, probe=notify.probe, once=notify.once)
            released += notify.every
        return released

    def _v3_notifies(self) -> V3Notifies:
        if self.v3_notifies is None:
            raise RuntimeError("this sandbox was built without API v3")
        return self.v3_notifies

    def refund(self, fields: Mapping[str, str], api_version: ApiVersion = ApiVersion.V2) -> Refund:
        refund, created = self.refunds.refund(fields, self.clock(), api_version)
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
        message = (
            self._v3_notifies().refund(refund)
            if refund.api_version is ApiVersion.V3
            else NotifyMessage(notifies.refund_notify(refund, self.merchant, self.ids))
        )
        delivery = self.deliveries.new(
            kind="refund",
            out_trade_no=refund.out_trade_no,
            out_refund_no=refund.out_refund_no,
            notify_url=url,
            body=message.body,
            created_at=self.clock(),
            api_version=refund.api_version.value,
            signer=message.signer,
        )
        await self.notifier.deliver(delivery)

    def _delivery(
        self,
        order: Order,
        kind: str,
        body: bytes | NotifyMessage,
        *,
        copy: int = 0,
        state: DeliveryState = DeliveryState.PENDING,
        tamper: str | None = None,
    ) -> Delivery:
        message = body if isinstance(body, NotifyMessage) else NotifyMessage(body)
        return self.deliveries.new(
            kind=kind,
            out_trade_no=order.out_trade_no,
            notify_url=order.notify_url,
            body=message.body,
            created_at=self.clock(),
            copy=copy,
            state=state,
            api_version=order.api_version.value,
            signer=message.signer,
            tamper=tamper,
        )

    async def reset(self) -> None:
        """Forgets every order, refund and delivery, stops every notify, clears the faults and the
        bill settings, puts the clock back to real time."""
        await self.notifier.cancel_all()
        self.store.clear()
        self.deliveries.clear()
        self._held.clear()
        self.faults.reset()
        self.bills.reset()
        self.bill_links.reset()
        if isinstance(self.clock, SandboxClock):
            self.clock.reset()
        if self.v3 is not None:
            self.v3.platform.reset()
