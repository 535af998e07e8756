"""What a fault run does: how many orders, how fast they are paid, how each payment's notify
travels, and when each fault strikes (as a fraction of the paying phase)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

FAULTS: tuple[tuple[float, str], ...] = (
    (0.08, "worker_kill"),
    (0.18, "kafka_restart"),
    (0.38, "worker_kill"),
    (0.48, "postgres_restart"),
    (0.62, "redis_restart"),
    (0.72, "gateway_restart"),
    (0.86, "worker_kill"),
)
"""(when, what): the Kafka broker, PostgreSQL, Redis and the gateway restarted once each, the
worker SIGKILLed three times."""


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

    def __post_init__(self) -> None:
        if not 10 <= self.orders <= 1_000_000:
            raise ValueError("orders must be between 10 and 1,000,000")
        if self.api_version not in {"v2", "v3"}:
            raise ValueError("api_version is v2 or v3")
        if self.pay_rate <= 0 or self.chunk < 1 or self.control_every < 2:
            raise ValueError("pay_rate, chunk and control_every must be positive (every >= 2)")

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

    @property
    def pay_seconds(self) -> float:
        paid = self.orders - self.orders // self.control_every
        return paid / self.pay_rate
