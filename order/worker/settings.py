"""The order worker's configuration, from the environment, validated at start."""

from __future__ import annotations

from pydantic import Field, PostgresDsn, RedisDsn
from pydantic_settings import BaseSettings, SettingsConfigDict

from runtime.kafka import TOPIC_OBSERVATIONS, TOPIC_OBSERVATIONS_DLQ, TOPIC_ORDER_EVENTS


class WorkerSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: PostgresDsn
    redis_url: RedisDsn
    kafka_bootstrap_servers: str = Field(min_length=1)
    kafka_topic_observations: str = Field(default=TOPIC_OBSERVATIONS, min_length=1)
    kafka_topic_order_events: str = Field(default=TOPIC_ORDER_EVENTS, min_length=1)
    kafka_topic_dlq: str = Field(default=TOPIC_OBSERVATIONS_DLQ, min_length=1)
    kafka_consumer_group: str = Field(default="order-worker", min_length=1)
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1_000, le=300_000)
    """How soon a crashed worker's partitions go to the others."""
    worker_batch_size: int = Field(default=500, ge=1, le=10_000)
    """At most this many observations per PostgreSQL transaction."""
    worker_poll_seconds: float = Field(default=0.5, gt=0, le=10)
    """How long one poll waits for the first observation (a batch takes what is there)."""
    worker_retry_max_seconds: float = Field(default=5.0, gt=0, le=300)
    """The longest pause between two tries of a batch while PostgreSQL or Kafka is down."""
    worker_redis_retry_seconds: float = Field(default=1.0, gt=0, le=60)
    """After Redis failed, how long the worker leaves it alone before trying again."""
    worker_metrics_host: str = "127.0.0.1"
    worker_metrics_port: int = Field(default=9153, ge=0, le=65535)
    """0: no metrics endpoint (and no liveness endpoint)."""
    worker_liveness_seconds: float = Field(default=60.0, ge=5, le=3600)
    """`GET /healthz` on the metrics port answers 503 once the consumer loop has not polled
    Kafka for this long (a stuck loop; Kubernetes restarts the pod). A batch waiting for
    PostgreSQL or Kafka keeps polling, so an outage does not count."""
    relay_enabled: bool = True
    relay_batch_size: int = Field(default=1000, ge=1, le=10_000)
    relay_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    """The relay's fallback when no NOTIFY arrives; also how often a standby relay tries to
    take over."""
    redis_timeout_seconds: float = Field(default=0.25, gt=0, le=10)
    order_snapshot_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=0)
    """How long an order snapshot stays in Redis after its last change (0: forever)."""
    shutdown_grace_seconds: float = Field(default=10.0, ge=0, le=300)
    log_level: str = Field(default="INFO", pattern="(?i)^(debug|info|warning|error)$")
    worker_test_kill_after_commit: bool = False
    """Tests only: SIGKILL the worker right after its first committed batch that changed
    anything (before Redis and before the Kafka offsets), to prove the replay changes nothing."""
