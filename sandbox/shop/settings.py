"""The demo shop's settings, from the environment, validated at start."""

from __future__ import annotations

from pydantic import AnyHttpUrl, Field
from pydantic_settings import SettingsConfigDict

from runtime.grpc_tls import GrpcTlsSettings


class ShopSettings(GrpcTlsSettings):
    """With ``GRPC_TLS_*`` (runtime.grpc_tls) the shop calls both services over mutual TLS."""

    model_config = SettingsConfigDict(extra="ignore")

    order_grpc_target: str = Field(default="127.0.0.1:50052", min_length=1)
    """OrderService: CreateOrder and GetOrder."""
    payment_grpc_target: str = Field(default="127.0.0.1:50051", min_length=1)
    """PaymentService: CreateNative, for the QR code."""
    shop_host: str = "127.0.0.1"
    shop_port: int = Field(default=8070, ge=0, le=65535)
    shop_phone_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8090/sandbox/phone")
    """The sandbox's "phone" page, linked from the cashier page (what scanning the code opens)."""
    shop_call_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    """Deadline of each gRPC call."""
    shop_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    """How often an open cashier page asks for the order's status."""
    log_level: str = Field(default="INFO", pattern="(?i)^(debug|info|warning|error)$")
