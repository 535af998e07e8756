"""The ``WECHATPAY_V3_*`` environment variables, shared by the payment service and the gateway.

| variable | meaning |
|---|---|
| ``WECHATPAY_V3_API_KEY`` | the APIv3 key (32 bytes, secret): decrypts notifies and certificates |
| ``WECHATPAY_V3_PRIVATE_KEY`` | the merchant API private key file (``apiclient_key.pem``) |
| ``WECHATPAY_V3_CERT_SERIAL`` | the serial of the merchant API certificate that key belongs to |
| ``WECHATPAY_V3_PUBLIC_KEY`` | the WeChat Pay public key file (``pub_key.pem``) |
| ``WECHATPAY_V3_PUBLIC_KEY_ID`` | its id, ``PUB_KEY_ID_…`` |
| ``WECHATPAY_V3_PLATFORM_CERTIFICATES`` | ``true``: download platform certificates (signs the download, so it needs the private key and serial) |
| ``WECHATPAY_V3_CERTIFICATE_REFRESH_SECONDS`` | how often they are downloaded again (default 3600) |

A process that runs v3 calls :meth:`V3Settings.require_v3`, which reports every missing
variable by name (the process then exits 78, like any configuration error).
"""  # noqa: E501 - a table

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_core import InitErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

from payment.wechatpay_v3.config import DEFAULT_REFRESH_SECONDS, MerchantKey, PlatformTrust
from payment.wechatpay_v3.constants import APIV3_KEY_BYTES
from payment.wechatpay_v3.keys import load_private_key, load_public_key

__all__ = ["V3Settings", "missing"]


def missing(settings_class: type[BaseSettings], names: list[str]) -> ValidationError:
    """A ValidationError saying "is not set" for each field name (what ``runtime.settings``
    prints); raise it from a ``mode="wrap"`` model validator so that it keeps its names."""
    return ValidationError.from_exception_data(
        settings_class.__name__,
        [InitErrorDetails(type="missing", loc=(name,), input=None) for name in names],
    )


class V3Settings(BaseSettings):
    """The v3 variables; all optional until a process asks for v3 (:meth:`require_v3`)."""

    model_config = SettingsConfigDict(extra="ignore")

    wechatpay_v3_api_key: SecretStr | None = None
    wechatpay_v3_private_key: Path | None = None
    wechatpay_v3_cert_serial: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^[0-9A-Fa-f]+$"
    )
    wechatpay_v3_public_key: Path | None = None
    wechatpay_v3_public_key_id: str | None = Field(
        default=None, max_length=64, pattern=r"^PUB_KEY_ID_[0-9A-Za-z_]+$"
    )
    wechatpay_v3_platform_certificates: bool = False
    wechatpay_v3_certificate_refresh_seconds: float = Field(
        default=DEFAULT_REFRESH_SECONDS, ge=1, le=86_400
    )

    @field_validator("wechatpay_v3_api_key")
    @classmethod
    def _thirty_two_bytes(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) != APIV3_KEY_BYTES:
            raise ValueError(f"an APIv3 key is {APIV3_KEY_BYTES} bytes")
        return value

    @field_validator("wechatpay_v3_private_key", "wechatpay_v3_public_key")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"names no readable file: {value}")
        return value

    @property
    def v3_configured(self) -> bool:
        """Whether any v3 variable is set (the gateway verifies v3 notifies only then)."""
        named = (
            self.wechatpay_v3_api_key,
            self.wechatpay_v3_private_key,
            self.wechatpay_v3_cert_serial,
            self.wechatpay_v3_public_key,
            self.wechatpay_v3_public_key_id,
        )
        return self.wechatpay_v3_platform_certificates or any(v is not None for v in named)

    def missing_v3(self, *, signing: bool) -> list[str]:
        """The v3 fields still needed: the APIv3 key; a public key with its id, or platform
        certificates; and, to sign requests (``signing``, or to download certificates), the
        private key and its certificate serial."""
        needed = ["wechatpay_v3_api_key"]
        public_key = (self.wechatpay_v3_public_key, self.wechatpay_v3_public_key_id)
        if public_key != (None, None) or not self.wechatpay_v3_platform_certificates:
            needed += ["wechatpay_v3_public_key", "wechatpay_v3_public_key_id"]
        if signing or self.wechatpay_v3_platform_certificates:
            needed += ["wechatpay_v3_private_key", "wechatpay_v3_cert_serial"]
        return [name for name in needed if getattr(self, name) is None]

    def require_v3(self, *, signing: bool) -> None:
        """Raises a ValidationError naming every missing v3 variable."""
        names = self.missing_v3(signing=signing)
        if names:
            raise missing(type(self), names)

    def v3_trust(self) -> PlatformTrust:
        """Loads the public key file; raises ConfigurationError for a bad key."""
        if self.wechatpay_v3_api_key is None:
            raise missing(type(self), ["wechatpay_v3_api_key"])
        path = self.wechatpay_v3_public_key
        return PlatformTrust(
            apiv3_key=self.wechatpay_v3_api_key,
            public_key_id=self.wechatpay_v3_public_key_id if path is not None else None,
            public_key=load_public_key(path) if path is not None else None,
            platform_certificates=self.wechatpay_v3_platform_certificates,
            certificate_refresh_seconds=self.wechatpay_v3_certificate_refresh_seconds,
        )

    def v3_merchant(self, mch_id: str) -> MerchantKey:
        """Loads the private key file; raises ConfigurationError for a bad key."""
        if self.wechatpay_v3_private_key is None or self.wechatpay_v3_cert_serial is None:
            raise missing(type(self), ["wechatpay_v3_private_key", "wechatpay_v3_cert_serial"])
        return MerchantKey(
            mch_id, self.wechatpay_v3_cert_serial, load_private_key(self.wechatpay_v3_private_key)
        )

    def v3_secrets(self) -> list[str]:
        """Values that must never appear in a log line."""
        key = self.wechatpay_v3_api_key
        return [key.get_secret_value()] if key is not None else []
