"""The record of every notify the sandbox sent: deliveries, and each delivery's attempts.

A *delivery* is one notify on its way to one URL (a copy, a probe, a refund notify) and runs the
retry schedule on its own; an *attempt* is one POST of it and what came back.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["Attempt", "Delivery", "DeliveryLog", "DeliveryState", "Outcome", "Signer"]

Signer = Callable[[bytes], Mapping[str, str]]
"""A v3 notify's ``Wechatpay-*`` headers for a body, made at each attempt (fresh timestamp)."""


class DeliveryState(StrEnum):
    PENDING = "pending"
    """Still being sent or waiting for its next attempt."""
    DELIVERED = "delivered"
    """The receiver answered SUCCESS."""
    REJECTED = "rejected"
    """A probe the receiver refused, as it should (probes are sent once)."""
    ABANDONED = "abandoned"
    """Every attempt of the schedule failed (24h4m of WeChat time)."""
    DROPPED = "dropped"
    """Never sent: the payment was made with delivery "drop"."""
    HELD = "held"
    """Not sent until released: the payment was made with delivery "hold"."""
    CANCELLED = "cancelled"
    """Stopped by a reset or a shutdown."""


class Outcome(StrEnum):
    SUCCESS = "success"
    """v2: HTTP 200 and XML with return_code SUCCESS; v3: HTTP 200 or 204."""
    FAIL_REPLY = "fail_reply"
    """HTTP 200 and XML whose return_code is not SUCCESS."""
    INVALID_REPLY = "invalid_reply"
    """HTTP 200 but not XML (a plain "success", HTML, JSON, nothing)."""
    HTTP_ERROR = "http_error"
    """Any other HTTP status."""
    TIMEOUT = "timeout"
    """No full answer within WeChat's 5 seconds."""
    CONNECTION_ERROR = "connection_error"


@dataclass(slots=True)
class Attempt:
    number: int
    at: datetime
    outcome: Outcome
    http_status: int | None
    reply_excerpt: str
    duration_ms: float

    def as_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "at": self.at.isoformat(),
            "outcome": self.outcome.value,
            "http_status": self.http_status,
            "reply_excerpt": self.reply_excerpt,
            "duration_ms": round(self.duration_ms, 3),
        }


@dataclass(slots=True, eq=False)
class Delivery:
    id: int
    kind: str
    """"payment", "probe" or "refund"."""
    out_trade_no: str
    notify_url: str
    body: bytes
    created_at: datetime
    copy: int = 0
    out_refund_no: str | None = None
    state: DeliveryState = DeliveryState.PENDING
    attempts: list[Attempt] = field(default_factory=list)
    api_version: str = "v2"
    signer: Signer | None = field(default=None, repr=False)
    """v3 only: signs the body anew at each attempt."""
    tamper: str | None = None
    """v3 only: what is wrong with this delivery on purpose (a receiver must refuse it)."""

    def as_json(self, *, include_body: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "out_trade_no": self.out_trade_no,
            "out_refund_no": self.out_refund_no,
            "copy": self.copy,
            "api_version": self.api_version,
            "tamper": self.tamper,
            "notify_url": self.notify_url,
            "state": self.state.value,
            "created_at": self.created_at.isoformat(),
            "attempts": [attempt.as_json() for attempt in self.attempts],
        }
        if include_body:
            data["body"] = self.body.decode()
        return data


class DeliveryLog:
    """Every delivery in id order, with an index by order. Ids keep growing across resets."""

    def __init__(self) -> None:
        self._next_id = 1
        self._all: list[Delivery] = []
        self._by_order: dict[str, list[Delivery]] = {}

    def new(self, **values: Any) -> Delivery:
        delivery = Delivery(id=self._next_id, **values)
        self._next_id += 1
        self._all.append(delivery)
        self._by_order.setdefault(delivery.out_trade_no, []).append(delivery)
        return delivery

    def of_order(self, out_trade_no: str) -> list[Delivery]:
        return self._by_order.get(out_trade_no, [])

    def page(
        self,
        *,
        after: int = 0,
        limit: int = 100,
        state: str | None = None,
        kind: str | None = None,
    ) -> list[Delivery]:
        """Up to ``limit`` deliveries with an id above ``after``, optionally filtered."""
        start = bisect.bisect_right(self._all, after, key=lambda d: d.id)
        found: list[Delivery] = []
        for delivery in self._all[start:]:
            if (state is None or delivery.state == state) and (
                kind is None or delivery.kind == kind
            ):
                found.append(delivery)
                if len(found) == limit:
                    break
        return found

    def summary(self) -> dict[str, Any]:
        states = Counter(d.state.value for d in self._all)
        outcomes = Counter(a.outcome.value for d in self._all for a in d.attempts)
        return {
            "deliveries": len(self._all),
            "by_state": dict(states),
            "attempts": sum(outcomes.values()),
            "attempts_by_outcome": dict(outcomes),
            "orders": len(self._by_order),
        }

    def clear(self) -> None:
        self._all.clear()
        self._by_order.clear()
