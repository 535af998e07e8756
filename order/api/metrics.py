"""OrderService's own metrics (the gRPC server counts calls by method and code)."""

from __future__ import annotations

from prometheus_client import Counter

REDIS_FAILURES = Counter(
    "paystream_order_api_redis_failures_total",
    "Redis operations that failed (the call went on without Redis), by operation.",
    ["operation"],
)
CANCEL_OUTCOMES = Counter(
    "paystream_order_api_cancel_outcomes_total",
    "CancelOrder outcomes, and whether the worker applied them within the call.",
    ["outcome", "applied"],
)
