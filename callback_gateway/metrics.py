"""What the gateway counts: requests by outcome, verification failures, produce latency."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

NOTIFIES = Counter(
    "paystream_gateway_notifies_total",
    "Notifies answered, by endpoint and outcome.",
    ["endpoint", "outcome"],
)
REJECTED = Counter(
    "paystream_gateway_rejected_total",
    "Notifies rejected before Kafka, by reason.",
    ["endpoint", "reason"],
)
PRODUCE_SECONDS = Histogram(
    "paystream_gateway_produce_seconds",
    "From produce to the broker's ack.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
REQUEST_SECONDS = Histogram(
    "paystream_gateway_request_seconds",
    "Whole notify handling, body read to answer.",
    ["endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
IN_FLIGHT = Gauge("paystream_gateway_in_flight", "Notifies being handled now.")
