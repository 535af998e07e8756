"""The gateway's configuration, from the environment, validated at start.

v2 notifies are verified when ``WECHATPAY_API_KEY`` is set; v3 notifies once any
``WECHATPAY_V3_*`` variable is set (then the ones missing are named at start). A gateway needs at
least one of the two; a version it has no keys for answers 503 and WeChat keeps retrying.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ModelWrapValidatorHandler, model_validator
from pydantic_settings import SettingsConfigDict

from payment.settings import SANDBOX_BASE_URL, WeChatPayKeys
from payment.wechatpay_v3.settings import missing
from runtime.kafka import TOPIC_OBSERVATIONS


class GatewaySettings(WeChatPayKeys):
    model_config = SettingsConfigDict(extra="ignore")

    wechatpay_appid: str = Field(min_length=1)
    wechatpay_mch_id: str = Field(min_length=1)
    kafka_bootstrap_servers: str = Field(min_length=1)
    kafka_topic_observations: str = TOPIC_OBSERVATIONS
    gateway_host: str = "127.0.0.1"
    gateway_port: int = Field(default=8080, ge=0, le=65535)
    # WeChat's notifies are a few hundred bytes; anything near this is not WeChat.
    gateway_max_body_bytes: int = Field(default=16_384, ge=1024, le=1_048_576)
    # How long a client may take to send its body (slow-loris guard).
    gateway_body_timeout_seconds: float = Field(default=2.0, gt=0, le=10)
    # The ack deadline: well inside the 5 s WeChat waits for an answer.
    gateway_ack_timeout_seconds: float = Field(default=3.0, gt=0, le=4.5)
    gateway_kafka_linger_ms: int = Field(default=1, ge=0, le=100)
    # Seconds uvicorn lets in-flight requests finish after SIGTERM.
    shutdown_grace_seconds: float = Field(default=10.0, ge=0, le=60)
    log_level: str = "INFO"
    # v3 in platform-certificate mode only: where the certificates are downloaded from.
    wechatpay_base_url: str = SANDBOX_BASE_URL
    wechatpay_ca_bundle: Path | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _keys_for_at_least_one_version(
        cls, data: Any, handler: ModelWrapValidatorHandler[GatewaySettings]
    ) -> GatewaySettings:
        settings = handler(data)
        if settings.v3_configured:
            settings.require_v3(signing=False)
        elif settings.wechatpay_api_key is None:
            # Neither version could verify a notify: name the v2 key (v3 needs several).
            raise missing(cls, ["wechatpay_api_key"])
        return settings
