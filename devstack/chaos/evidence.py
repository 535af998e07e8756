"""What a fault run expected and what it found, as plain values (so the checks are pure and
can be tested against made-up evidence)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Expected:
    fees: dict[str, int]
    """Every order of the run and its amount in fen."""
    paid: dict[str, int]
    """Orders the customers paid → how many copies of the notify the sandbox sends."""
    probed: frozenset[str]
    """Paid orders whose notify was preceded by WeChat's wrong-signature probe."""
    refunds: dict[str, AskedRefund] = field(default_factory=dict)
    """Every refund the run asked for, by out_refund_no, with what it was told."""
    held: frozenset[str] = frozenset()
    """Paid orders whose payment notify was held until their refunds' notifies were delivered
    (they became PAID through CancelOrder, which found them paid at WeChat)."""

    @property
    def controls(self) -> set[str]:
        return set(self.fees) - set(self.paid)


@dataclass(frozen=True)
class AskedRefund:
    """One refund the run asked OrderService.RefundOrder for, and how it ended for the asker."""

    order_id: str
    out_refund_no: str
    refund_fee: int
    fits: bool
    """Within what was still refundable when planned (False: meant to be refused)."""
    outcome: str
    """"accepted", "refused" (a definite answer), or "ambiguous" (no definite answer in time:
    counted as neither)."""
    attempts: int = 1


@dataclass(frozen=True)
class WeChatRefund:
    """A refund as the sandbox (WeChat) holds it at the end."""

    out_trade_no: str
    out_refund_no: str
    refund_fee: int
    status: str


@dataclass(frozen=True)
class Delivery:
    id: int
    kind: str
    """"payment", "probe" or "refund"."""
    out_trade_no: str
    state: str
    outcomes: tuple[str, ...]
    """Each attempt's outcome, in order ("success", "fail_reply", "http_error", ...)."""
    out_refund_no: str = ""
    first_attempt: str = ""
    """When the first attempt was made (ISO 8601, the sandbox's clock); "" when none was."""
    succeeded_at: str = ""
    """When the attempt answered SUCCESS was made; "" when none was."""


@dataclass(frozen=True)
class Observed:
    """A record of payment.observations."""

    observation_id: str
    out_trade_no: str
    source: str
    trade_state: str
    transaction_id: str
    total_fee: int
    out_refund_no: str = ""
    """Set for an observation of a refund."""
    refund_status: str = ""
    refund_fee: int = 0


@dataclass(frozen=True)
class Event:
    """A record of order.events."""

    event_id: str
    order_id: str
    kind: str
    transaction_id: str
    total_fee: int
    out_refund_no: str = ""
    """For "refunded": the refund, its amount, the order's refunded total after it, full."""
    refund_fee: int = 0
    refunded_fee: int = 0
    full: bool = False


@dataclass(frozen=True)
class OrderRow:
    id: str
    status: str
    total_fee: int
    transaction_id: str | None
    version: int
    anomaly: str | None
    refunded_fee: int = 0


@dataclass(frozen=True)
class LogFinding:
    path: str
    line: int
    what: str


@dataclass
class Evidence:
    deliveries: list[Delivery] = field(default_factory=list)
    observations: list[Observed] = field(default_factory=list)
    undecodable_observations: int = 0
    events: list[Event] = field(default_factory=list)
    dead_letters: int = 0
    orders: dict[str, OrderRow] = field(default_factory=dict)
    wechat_refunds: list[WeChatRefund] = field(default_factory=list)
    refund_rows: dict[str, tuple[str, int, str]] = field(default_factory=dict)
    """out_refund_no → (order id, refund_fee, status) of the order system's refunds table."""
    inbox: list[tuple[str, str]] = field(default_factory=list)
    """(order id, outcome) of every inbox row."""
    unpublished_outbox: int = 0
    snapshots: dict[str, tuple[str, int]] = field(default_factory=dict)
    """order id → (status, version) of every order snapshot Redis holds."""
    processes_down: list[str] = field(default_factory=list)
    log_lines: int = 0
    log_findings: list[LogFinding] = field(default_factory=list)
