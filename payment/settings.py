"""The payment service's configuration, from the environment, validated at start."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from payment.wechatpay.signing import SignType

SANDBOX_BASE_URL = "http://127.0.0.1:8090"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class PaymentSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    paystream_env: Environment = Environment.DEVELOPMENT
    wechatpay_base_url: str = SANDBOX_BASE_URL
    wechatpay_appid: str = Field(min_length=1, max_length=32)
    wechatpay_mch_id: str = Field(min_length=1, max_length=32)
    wechatpay_api_key: SecretStr = Field(min_length=32, max_length=32)
    wechatpay_sign_type: SignType = SignType.HMAC_SHA256
    wechatpay_notify_url: str = Field(min_length=1, max_length=256)
    wechatpay_refund_notify_url: str | None = None
    wechatpay_spbill_create_ip: str = "127.0.0.1"
    wechatpay_client_cert: Path | None = None
    wechatpay_client_key: Path | None = None
    wechatpay_ca_bundle: Path | None = None
    wechatpay_connect_timeout_seconds: float = Field(default=6.0, gt=0, le=60)
    wechatpay_read_timeout_seconds: float = Field(default=8.0, gt=0, le=60)
    payment_grpc_host: str = "127.0.0.1"
    payment_grpc_port: int = Field(default=50051, ge=0, le=65535)
    payment_metrics_port: int = Field(default=9101, ge=0, le=65535)
    # Whole-call budget when a caller sets no deadline (retries included).
    payment_default_deadline_seconds: float = Field(default=10.0, gt=0, le=60)
    shutdown_grace_seconds: float = Field(default=10.0, ge=0, le=60)
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _production_is_https(self) -> PaymentSettings:
        if self.paystream_env is Environment.PRODUCTION:
            for name in ("wechatpay_base_url", "wechatpay_notify_url"):
                if urlsplit(getattr(self, name)).scheme != "https":
                    raise ValueError(f"{name.upper()} must be https:// in production")
        for name in ("wechatpay_client_cert", "wechatpay_client_key", "wechatpay_ca_bundle"):
            path = getattr(self, name)
            if path is not None and not path.is_file():
                raise ValueError(f"{name.upper()} names no readable file: {path}")
        return self
