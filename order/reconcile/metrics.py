"""The pass's figures for Prometheus: pushed to a Pushgateway when one is configured (a CronJob
lives too briefly to be scraped)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway

from order.reconcile.reconcile_pass import PassSummary
from runtime.logs import get_logger

log = get_logger("order.reconcile")

COUNTS = ("due", "queried", "paid", "closed", "rescheduled", "left_pending", "errors", "released")


def registry_for(summary: PassSummary) -> CollectorRegistry:
    registry = CollectorRegistry()
    orders = Gauge(
        "paystream_reconcile_orders",
        "Orders in the last pass, by what happened.",
        ["outcome"],
        registry=registry,
    )
    for name in COUNTS:
        orders.labels(name).set(getattr(summary, name))
    Gauge(
        "paystream_reconcile_duration_seconds", "How long the last pass took.", registry=registry
    ).set(summary.duration_seconds)
    Gauge(
        "paystream_reconcile_last_success_unixtime",
        "When a pass last completed.",
        registry=registry,
    ).set_to_current_time()
    return registry


def push(summary: PassSummary, url: str | None) -> None:
    if not url:
        return
    try:
        push_to_gateway(url, job="order-reconcile", registry=registry_for(summary), timeout=5)
    except OSError as error:
        log.warning("metrics push failed", pushgateway=url, error=str(error))
