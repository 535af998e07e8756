"""The payment service's configuration, from the environment, validated at start."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import Field, ModelWrapValidatorHandler, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from payment.wechatpay.signing import SignType
from payment.wechatpay_v3.settings import V3Settings, missing
from paystream.payment.v1 import payment_pb2
from runtime.grpc_tls import GrpcServerTlsSettings, method_names

SANDBOX_BASE_URL = "http://127.0.0.1:8090"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class ApiVersion(StrEnum):
    """Which WeChat Pay protocol the service speaks (``WECHATPAY_API_VERSION``)."""

    V2 = "v2"
    V3 = "v3"


class WeChatPayKeys(V3Settings):
    """Both versions' keys, as the processes that talk to WeChat read them: the v2 API key
    (each process says when it needs it) and the ``WECHATPAY_V3_*`` variables."""

    wechatpay_api_key: SecretStr | None = Field(default=None, min_length=32, max_length=32)
    """The v2 API key (32 characters)."""

    def secrets(self) -> list[str]:
        """Every secret value, to keep out of the logs (runtime.logs.register_secret)."""
        v2_key = self.wechatpay_api_key
        return [*([v2_key.get_secret_value()] if v2_key else []), *self.v3_secrets()]


class PaymentSettings(WeChatPayKeys, GrpcServerTlsSettings):
    """v2 needs ``WECHATPAY_API_KEY``; v3 the ``WECHATPAY_V3_*`` variables of
    :class:`payment.wechatpay_v3.settings.V3Settings` (a missing one is named at start).
    Mutual TLS and the authorization table: :mod:`runtime.grpc_tls` (``GRPC_TLS_*``,
    ``GRPC_AUTHZ``)."""

    model_config = SettingsConfigDict(extra="ignore")
    grpc_methods: ClassVar[frozenset[str]] = method_names(
        payment_pb2.DESCRIPTOR.services_by_name["PaymentService"]
    )

    paystream_env: Environment = Environment.DEVELOPMENT
    wechatpay_api_version: ApiVersion = ApiVersion.V2
    wechatpay_base_url: str = SANDBOX_BASE_URL
    wechatpay_appid: str = Field(min_length=1, max_length=32)
    wechatpay_mch_id: str = Field(min_length=1, max_length=32)
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

    @model_validator(mode="wrap")
    @classmethod
    def _the_versions_keys(
        cls, data: Any, handler: ModelWrapValidatorHandler[PaymentSettings]
    ) -> PaymentSettings:
        settings = handler(data)
        if settings.wechatpay_api_version is ApiVersion.V3:
            settings.require_v3(signing=True)
        elif settings.wechatpay_api_key is None:
            raise missing(cls, ["wechatpay_api_key"])
        return settings

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
