"""The worker's Prometheus metrics (served on WORKER_METRICS_PORT)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

OBSERVATIONS = Counter(
    "paystream_order_worker_observations_total",
    "Observations consumed, by what applying them did (DUPLICATE: applied before).",
    ["outcome"],
)
DEAD_LETTERS = Counter(
    "paystream_order_worker_dead_letters_total",
    "Records sent to the dead-letter topic because they can never be applied.",
)
BATCH_SIZE = Histogram(
    "paystream_order_worker_batch_size",
    "Records per batch (one PostgreSQL transaction).",
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500),
)
BATCH_SECONDS = Histogram(
    "paystream_order_worker_batch_seconds",
    "Time to handle a batch: apply, refresh Redis, store offsets.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RETRIES = Counter(
    "paystream_order_worker_retries_total",
    "Batches tried again after a transient failure, by stage.",
    ["stage"],
)
REDIS_FAILURES = Counter(
    "paystream_order_worker_redis_failures_total",
    "Redis refreshes that failed after the PostgreSQL commit (the orders are repaired later).",
)
REDIS_BACKLOG = Gauge(
    "paystream_order_worker_redis_backlog",
    "Orders whose Redis snapshot or index entry waits for Redis to come back.",
)
OUTBOX_PUBLISHED = Counter(
    "paystream_order_outbox_published_total",
    "Order events the relay published and marked published.",
)
RELAY_LEADER = Gauge(
    "paystream_order_outbox_relay_leader",
    "1 while this process's relay holds the outbox lock and publishes.",
)
LAG = Gauge(
    "paystream_order_worker_lag",
    "Records behind the end of the partitions, as of the last batch.",
)
