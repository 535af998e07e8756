"""The reconciler's configuration, from the environment, validated at start."""

from __future__ import annotations

from pydantic import Field, PostgresDsn, RedisDsn
from pydantic_settings import SettingsConfigDict

from runtime.grpc_tls import GrpcTlsSettings
from runtime.kafka import TOPIC_OBSERVATIONS


class ReconcileSettings(GrpcTlsSettings):
    """Mutual TLS towards the payment service: :mod:`runtime.grpc_tls` (``GRPC_TLS_*``)."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: PostgresDsn
    redis_url: RedisDsn
    kafka_bootstrap_servers: str = Field(min_length=1)
    kafka_topic_observations: str = Field(default=TOPIC_OBSERVATIONS, min_length=1)
    payment_grpc_target: str = Field(default="127.0.0.1:50051", min_length=1)
    reconcile_batch_size: int = Field(default=200, ge=1, le=5_000)
    """Orders claimed from the pending index at a time."""
    reconcile_concurrency: int = Field(default=16, ge=1, le=256)
    """Calls to PaymentService in flight at once."""
    reconcile_rate_per_second: float = Field(default=100.0, gt=0, le=600)
    """Calls to WeChat per second (WeChat allows about 600 per merchant: stay well under)."""
    reconcile_time_budget_seconds: float = Field(default=45.0, gt=0, le=3_600)
    """The pass stops claiming orders after this long (the CronJob runs every 60 s)."""
    reconcile_call_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    reconcile_close_grace_seconds: float = Field(default=60.0, ge=0, le=3_600)
    """How long after an order's expire time it is closed (WeChat's clock may run behind)."""
    reconcile_settle_seconds: float = Field(default=30.0, ge=0, le=3_600)
    """When an order whose outcome was reported is looked at again if it is still PENDING."""
    reconcile_retry_seconds: float = Field(default=15.0, ge=0, le=3_600)
    """When an order whose check failed is tried again."""
    reconcile_index_valid_seconds: int = Field(default=3_600, ge=1)
    """How long a rebuilt pending index is trusted before it is topped up from PostgreSQL."""
    reconcile_refund_check_seconds: float = Field(default=120.0, ge=0, le=86_400)
    """A refund PROCESSING here this long is asked about at WeChat (its notify may be lost)."""
    reconcile_refund_release_seconds: float = Field(default=900.0, ge=60, le=86_400 * 30)
    """A refund reservation WeChat never received is released once it is this old."""
    reconcile_refund_batch_size: int = Field(default=100, ge=1, le=5_000)
    """Open refunds asked about per pass, oldest first."""
    pushgateway_url: str | None = None
    """Push the pass's metrics here (Prometheus Pushgateway); without it they are printed."""
    log_level: str = Field(default="INFO", pattern="(?i)^(debug|info|warning|error)$")
