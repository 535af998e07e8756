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

    @property
    def controls(self) -> set[str]:
        return set(self.fees) - set(self.paid)


@dataclass(frozen=True)
class Delivery:
    id: int
    kind: str
    """"payment" or "probe"."""
    out_trade_no: str
    state: str
    outcomes: tuple[str, ...]
    """Each attempt's outcome, in order ("success", "fail_reply", "http_error", ...)."""


@dataclass(frozen=True)
class Observed:
    """A record of payment.observations."""

    observation_id: str
    out_trade_no: str
    source: str
    trade_state: str
    transaction_id: str
    total_fee: int


@dataclass(frozen=True)
class Event:
    """A record of order.events."""

    event_id: str
    order_id: str
    kind: str
    transaction_id: str
    total_fee: int


@dataclass(frozen=True)
class OrderRow:
    id: str
    status: str
    total_fee: int
    transaction_id: str | None
    version: int
    anomaly: str | None


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
    inbox: list[tuple[str, str]] = field(default_factory=list)
    """(order id, outcome) of every inbox row."""
    unpublished_outbox: int = 0
    snapshots: dict[str, tuple[str, int]] = field(default_factory=dict)
    """order id → (status, version) of every order snapshot Redis holds."""
    processes_down: list[str] = field(default_factory=list)
    log_lines: int = 0
    log_findings: list[LogFinding] = field(default_factory=list)
