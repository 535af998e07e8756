"""What a fault run does: how many orders, how fast they are paid, how each payment's notify
travels, and when each fault strikes (as a fraction of the paying phase)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

FAULTS: tuple[tuple[float, str], ...] = (
    (0.08, "worker_kill"),
    (0.12, "wechat_errors"),
    (0.18, "kafka_restart"),
    (0.38, "worker_kill"),
    (0.48, "postgres_restart"),
    (0.62, "redis_restart"),
    (0.72, "gateway_restart"),
    (0.86, "worker_kill"),
)
"""(when, what): the Kafka broker, PostgreSQL, Redis and the gateway restarted once each, the
worker SIGKILLed three times, and WeChat's API failing for a while (SYSTEMERROR, HTTP 5xx and
answers lost after the call was carried out)."""

WECHAT_ERRORS: dict[str, float] = {
    "systemerror_rate": 0.15,
    "http_5xx_rate": 0.1,
    "lost_answer_rate": 0.25,
}
"""The sandbox's fault settings while "wechat_errors" lasts."""


@dataclass(frozen=True)
class RefundsOfOrder:
    """What the run asks OrderService.RefundOrder for, for one paid order."""

    amounts: tuple[int, ...]
    """Refunds that fit (their sum is at most the order's total): asked for concurrently (v2),
    one after another (v3: devstack/chaos/refunds.py says why)."""
    above_total: int = 0
    """Asked for once the others were accepted: more than is left, so it must be refused."""
    hold_payment_notify: bool = False
    """The order's payment notify waits until these refunds' notifies were delivered."""


REFUND_KINDS = ("partial", "full", "split", "two_partials", "full_then_more")


@dataclass(frozen=True)
class PayMode:
    """How one chunk of payments travels (fields of the sandbox's pay request)."""

    name: str
    request: dict[str, Any] = field(default_factory=dict)

    @property
    def copies(self) -> int:
        return int(self.request.get("copies", 1))

    @property
    def probe(self) -> bool:
        return bool(self.request.get("probe_first", False))


NORMAL = PayMode("normal")
MODES: tuple[PayMode, ...] = (
    PayMode("copies3", {"copies": 3}),  # WeChat sends the same notify from several servers
    PayMode("probe_first", {"probe_first": True}),  # the wrong-signature probe, then the notify
    PayMode("omit_sign_type", {"omit_sign_type": True}),  # HMAC-SHA256 without sign_type
)


@dataclass(frozen=True)
class ChaosPlan:
    orders: int = 2000
    control_every: int = 20
    """Every n-th order is placed at WeChat but never paid: it must stay PENDING."""
    pay_rate: float = 40.0
    """Payments per second, steady, while the faults hit."""
    chunk: int = 20
    """Orders per bulk pay request."""
    time_scale: float = 0.005
    """The sandbox's notify clock: 15 s of WeChat's retry schedule become 75 ms."""
    kafka_down_seconds: float = 4.0
    """How long the broker stays down before it is started again."""
    kafka_signal: str = "SIGKILL"
    postgres_mode: str = "immediate"
    create_concurrency: int = 32
    settle_timeout: float = 600.0
    seed: int = 20261127
    faults: tuple[tuple[float, str], ...] = FAULTS
    api_version: str = "v2"
    """The WeChat Pay protocol the whole run speaks: v2 (XML) or v3 (JSON, RSA, AES-GCM)."""
    refund_every: int = 8
    """Every n-th paid order gets refunds (of the REFUND_KINDS in turn)."""
    hold_every: int = 3
    """Of the refunded orders, every n-th has its payment notify held until its refunds' notifies
    were delivered."""
    wechat_fault_seconds: float = 4.0
    """How long WeChat's API fails ("wechat_errors")."""
    refund_concurrency: int = 48
    """Orders refunded at once (each mostly waits: for its payment to be applied, for a fault)."""
    refund_give_up_seconds: float = 120.0
    """How long one refund is asked again (same out_refund_no) before it counts as ambiguous."""

    def __post_init__(self) -> None:
        if not 10 <= self.orders <= 1_000_000:
            raise ValueError("orders must be between 10 and 1,000,000")
        if self.api_version not in {"v2", "v3"}:
            raise ValueError("api_version is v2 or v3")
        if self.pay_rate <= 0 or self.chunk < 1 or self.control_every < 2:
            raise ValueError("pay_rate, chunk and control_every must be positive (every >= 2)")
        if self.refund_every < 1 or self.hold_every < 1:
            raise ValueError("refund_every and hold_every must be at least 1")

    def order_ids(self, run_id: str) -> list[str]:
        return [f"ch{run_id}{n:07d}" for n in range(self.orders)]

    def is_control(self, index: int) -> bool:
        return index % self.control_every == self.control_every - 1

    def amounts(self, count: int) -> list[int]:
        rng = random.Random(self.seed)
        return [rng.randint(1, 99_999) for _ in range(count)]

    def mode_of_chunk(self, index: int) -> PayMode:
        """Most chunks pay normally; one in five uses one of the other modes, in turn."""
        if index % 5 != 4:
            return NORMAL
        return MODES[(index // 5) % len(MODES)]

    def refunds_of(self, position: int, fee: int) -> RefundsOfOrder | None:
        """The refunds of the paid order at `position` (in paying order) of `fee` fen, or None."""
        if position % self.refund_every != self.refund_every // 2:
            return None
        nth = position // self.refund_every
        kind = REFUND_KINDS[nth % len(REFUND_KINDS)]
        hold = nth % self.hold_every == 0
        third, quarter = max(1, fee // 3), max(1, fee // 4)
        amounts: tuple[int, ...] = (fee,)
        above = 0
        if kind == "partial" and fee > 1:
            amounts = (third,)
        elif kind == "split" and fee > 1:
            amounts = (fee // 2, fee - fee // 2)
        elif kind == "two_partials" and fee > 2 * quarter:
            amounts = (quarter, quarter)
        elif kind == "full_then_more":
            above = 1
        return RefundsOfOrder(amounts, above, hold)

    @property
    def pay_seconds(self) -> float:
        paid = self.orders - self.orders // self.control_every
        return paid / self.pay_rate
