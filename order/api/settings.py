"""OrderService's configuration, from the environment, validated at start."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, PostgresDsn, RedisDsn
from pydantic_settings import SettingsConfigDict

from paystream.order.v1 import order_pb2
from runtime.grpc_tls import GrpcServerTlsSettings, method_names
from runtime.kafka import TOPIC_OBSERVATIONS


class ApiSettings(GrpcServerTlsSettings):
    """Mutual TLS (served, and towards the payment service) and the authorization table:
    :mod:`runtime.grpc_tls` (``GRPC_TLS_*``, ``GRPC_AUTHZ``)."""

    model_config = SettingsConfigDict(extra="ignore")
    grpc_methods: ClassVar[frozenset[str]] = method_names(
        order_pb2.DESCRIPTOR.services_by_name["OrderService"]
    )

    database_url: PostgresDsn
    redis_url: RedisDsn
    kafka_bootstrap_servers: str = Field(min_length=1)
    payment_grpc_target: str = Field(default="127.0.0.1:50051", min_length=1)
    order_grpc_host: str = "127.0.0.1"
    order_grpc_port: int = Field(default=50052, ge=0, le=65535)
    """0: any free port (tests)."""
    order_metrics_host: str = "127.0.0.1"
    order_metrics_port: int = Field(default=9152, ge=0, le=65535)
    """0: no metrics endpoint."""
    kafka_topic_observations: str = Field(default=TOPIC_OBSERVATIONS, min_length=1)
    order_payment_window_seconds: int = Field(default=1800, ge=60, le=30 * 24 * 3600)
    """How long a new order may be paid when CreateOrder names no expire_time."""
    order_first_check_seconds: float = Field(default=10.0, ge=0, le=3600)
    """How soon after creation the reconciler first asks WeChat about an order."""
    order_cancel_wait_seconds: float = Field(default=5.0, ge=0, le=60)
    """How long CancelOrder waits for the worker to apply the outcome (within the deadline)."""
    order_snapshot_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=0)
    redis_timeout_seconds: float = Field(default=0.25, gt=0, le=10)
    database_pool_size: int = Field(default=10, ge=1, le=200)
    shutdown_grace_seconds: float = Field(default=10.0, ge=0, le=300)
    log_level: str = Field(default="INFO", pattern="(?i)^(debug|info|warning|error)$")
