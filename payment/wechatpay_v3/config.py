"""The merchant's WeChat Pay v3 configuration: who signs, whom to trust, where WeChat is.

Validated at construction, like :class:`payment.wechatpay.WeChatPayConfig`: a wrong
configuration fails at start, not on the first payment. Keys are held as key objects (loaded by
:mod:`payment.wechatpay_v3.keys`) and never printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from payment.wechatpay.constants import PRODUCTION_BASE_URL
from payment.wechatpay.errors import ConfigurationError
from payment.wechatpay_v3.constants import APIV3_KEY_BYTES, PUBLIC_KEY_ID_PREFIX

__all__ = ["DEFAULT_REFRESH_SECONDS", "MerchantKey", "PlatformTrust", "WeChatPayV3Config"]

DEFAULT_REFRESH_SECONDS = 3600.0
"""How often platform certificates are downloaded again (the official Java SDK: hourly)."""


def _invalid(name: str, problem: str) -> ConfigurationError:
    return ConfigurationError("CONFIGURATION", f"{name} {problem}")


@dataclass(frozen=True, slots=True)
class MerchantKey:
    """What signs requests (§2.2): the merchant number, the merchant API certificate's serial
    and its private key (``apiclient_key.pem``)."""

    mch_id: str
    serial: str
    private_key: rsa.RSAPrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        if not self.mch_id or not self.serial:
            raise _invalid("mch_id and the merchant certificate serial", "must be set")


@dataclass(frozen=True, slots=True)
class PlatformTrust:
    """What verifies WeChat (§2.4) and decrypts its resources (§2.9): the APIv3 key, and the
    WeChat Pay public key with its id, the platform certificates, or both during a switch."""

    apiv3_key: SecretStr = field(repr=False)
    public_key_id: str | None = None
    public_key: rsa.RSAPublicKey | None = field(default=None, repr=False)
    platform_certificates: bool = False
    certificate_refresh_seconds: float = DEFAULT_REFRESH_SECONDS

    def __post_init__(self) -> None:
        if isinstance(self.apiv3_key, str):
            object.__setattr__(self, "apiv3_key", SecretStr(self.apiv3_key))
        if len(self.apiv3_key.get_secret_value().encode()) != APIV3_KEY_BYTES:
            raise _invalid("the APIv3 key", f"must be {APIV3_KEY_BYTES} bytes")
        if (self.public_key is None) != (self.public_key_id is None):
            raise _invalid("the WeChat Pay public key and its id", "must be given together")
        if self.public_key_id is not None and not self.public_key_id.startswith(
            PUBLIC_KEY_ID_PREFIX
        ):
            raise _invalid(
                "the WeChat Pay public key id", f"must start with {PUBLIC_KEY_ID_PREFIX}"
            )
        if self.public_key is None and not self.platform_certificates:
            raise _invalid(
                "verification", "needs the WeChat Pay public key or platform certificates"
            )
        if self.certificate_refresh_seconds <= 0:
            raise _invalid("the certificate refresh interval", "must be positive")

    @property
    def apiv3_key_bytes(self) -> bytes:
        return self.apiv3_key.get_secret_value().encode()


@dataclass(frozen=True, slots=True)
class WeChatPayV3Config:
    """Everything the v3 client needs. TLS to WeChat is always verified (system CAs plus
    ``ca_bundle_path``). v3 needs no client certificate (every request is signed instead); one
    given in ``client_cert_path``/``client_key_path`` is presented anyway (the sandbox's TLS
    port asks every client for it)."""

    appid: str
    merchant: MerchantKey
    trust: PlatformTrust
    notify_url: str
    base_url: str = PRODUCTION_BASE_URL
    refund_notify_url: str | None = None
    connect_timeout: float = 6.0
    read_timeout: float = 8.0
    ca_bundle_path: Path | None = None
    client_cert_path: Path | None = None
    client_key_path: Path | None = None

    def __post_init__(self) -> None:
        if not self.appid:
            raise _invalid("appid", "must be set")
        base = urlsplit(self.base_url)
        if base.scheme not in {"https", "http"} or not base.netloc or base.query:
            raise _invalid("base_url", "must be an http(s) URL like https://api.mch.weixin.qq.com")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        for name in ("notify_url", "refund_notify_url"):
            url = getattr(self, name)
            if url is not None and urlsplit(url).scheme not in {"https", "http"}:
                raise _invalid(name, "must be an absolute http(s) URL")
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise _invalid("timeouts", "must be positive")
        if (self.client_cert_path is None) != (self.client_key_path is None):
            raise _invalid("client_cert_path and client_key_path", "must be given together")

    @property
    def mch_id(self) -> str:
        return self.merchant.mch_id
