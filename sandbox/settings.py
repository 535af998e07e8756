"""The sandbox's settings, from ``SANDBOX_*`` environment variables, validated at start."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sandbox import credentials
from sandbox.v3_platform import KeyMode


class SandboxSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SANDBOX_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=1, le=65535)
    """Plain HTTP: the WeChat API paths, the control API and the phone page."""
    tls_port: int = Field(default=8091, ge=1, le=65535)
    """HTTPS with client certificates required: the WeChat API paths, like /secapi/."""
    state_dir: Path = Path(".stack/sandbox")
    """Where the generated CA, server certificate and merchant certificate live."""
    notify_time_scale: float = Field(default=1.0, gt=0, le=1000)
    """Scales the notify schedule and refund processing (0.001 turns 15 s into 15 ms)."""
    notify_concurrency: int = Field(default=64, ge=1, le=1024)
    """Notify POSTs in flight at once. WeChat sends from many servers; at 16 the sandbox itself
    queued notifies at 1,000 payments/s (bench/end_to_end: p50 250 ms before the gateway)."""
    refund_delay_seconds: float = Field(default=10.0, ge=0)
    """How long a refund stays PROCESSING before SUCCESS (scaled by notify_time_scale)."""
    refund_notify_url: str | None = None
    """The refund notify URL "set on the merchant platform": used when a refund names none."""
    appid: str = credentials.APPID
    mch_id: str = credentials.MCH_ID
    api_key: SecretStr = SecretStr(credentials.API_KEY)
    v3_api_key: SecretStr = SecretStr(credentials.V3_API_KEY)
    """The merchant's APIv3 key: encrypts notify resources and served certificates."""
    v3_key_mode: KeyMode = KeyMode.PUBLIC_KEY
    """How API v3 answers and notifies are signed (reference §2.4): ``public_key`` (the WeChat
    Pay public key, ``PUB_KEY_ID_…``; no platform certificates), ``certificate`` (a platform
    certificate, served by /v3/certificates) or ``both`` (a merchant switching over)."""
    log_level: str = Field(default="info", pattern="^(debug|info|warning|error)$")

    @field_validator("api_key")
    @classmethod
    def _thirty_two_characters(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) != 32:
            raise ValueError("a v2 API key is 32 characters")
        return value

    @field_validator("v3_api_key")
    @classmethod
    def _thirty_two_bytes(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value().encode()) != 32:
            raise ValueError("an APIv3 key is 32 bytes")
        return value
