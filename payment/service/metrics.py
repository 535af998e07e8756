"""WeChat Pay calls by API and outcome (each attempt, retries included)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from payment.wechatpay.attempts import AttemptRecord

WECHAT_CALLS = Counter(
    "paystream_wechatpay_calls_total",
    "Calls to WeChat Pay, by API and outcome (err_code).",
    ["api", "outcome"],
)
WECHAT_SECONDS = Histogram(
    "paystream_wechatpay_call_seconds",
    "Latency of one call to WeChat Pay, by API.",
    ["api"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8),
)


def record(attempt: AttemptRecord) -> None:
    WECHAT_CALLS.labels(attempt.api, attempt.outcome).inc()
    WECHAT_SECONDS.labels(attempt.api).observe(attempt.seconds)
