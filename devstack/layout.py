"""Where the local stack lives and listens. Everything is under .stack/ (git-ignored)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STACK = Path(os.environ.get("PAYSTREAM_STACK_DIR", ROOT / ".stack"))


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# Every fixed port of the local system is below Linux's ephemeral range (32768-60999): a busy
# machine hands out ephemeral ports to outgoing connections, and a server started later on such
# a port fails to bind. (The processes' own defaults, e.g. 50051, are for Kubernetes.)
@dataclass(frozen=True)
class Ports:
    postgres: int = _port("PAYSTREAM_PG_PORT", 15432)
    redis: int = _port("PAYSTREAM_REDIS_PORT", 16379)
    kafka: int = _port("PAYSTREAM_KAFKA_PORT", 19092)
    kafka_controller: int = _port("PAYSTREAM_KAFKA_CONTROLLER_PORT", 19093)
    sandbox: int = _port("PAYSTREAM_SANDBOX_PORT", 8090)
    payment: int = _port("PAYSTREAM_PAYMENT_PORT", 15051)
    order: int = _port("PAYSTREAM_ORDER_PORT", 15052)
    gateway: int = _port("PAYSTREAM_GATEWAY_PORT", 8080)
    payment_metrics: int = _port("PAYSTREAM_PAYMENT_METRICS_PORT", 9101)
    order_metrics: int = _port("PAYSTREAM_ORDER_METRICS_PORT", 9152)
    worker_metrics: int = _port("PAYSTREAM_WORKER_METRICS_PORT", 9153)
    shop: int = _port("PAYSTREAM_SHOP_PORT", 8070)


PORTS = Ports()
HOST = "127.0.0.1"

PG_USER = "paystream"
PG_PASSWORD = "paystream-dev"  # noqa: S105 - the local dev cluster's own password, loopback only
PG_DATABASE = "paystream"

KAFKA_VERSION = os.environ.get("PAYSTREAM_KAFKA_VERSION", "4.1.1")

TOPICS = {
    "payment.observations": 6,
    "order.events": 6,
    "payment.observations.dlq": 1,
}
