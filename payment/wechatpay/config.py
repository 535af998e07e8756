"""The merchant's WeChat Pay v2 configuration: who we are, where WeChat is, how to reach it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from pydantic import SecretStr

from payment.wechatpay.constants import PRODUCTION_BASE_URL
from payment.wechatpay.errors import ConfigurationError
from payment.wechatpay.signing import SignType

__all__ = ["API_KEY_LENGTH", "MerchantKeys", "WeChatPayConfig"]

API_KEY_LENGTH = 32
"""A v2 API key (商户平台 → API安全) is 32 characters (reference §1.2)."""


class MerchantKeys(Protocol):
    """What verifying a notify needs: the merchant's identity and its v2 API key."""

    @property
    def appid(self) -> str: ...

    @property
    def mch_id(self) -> str: ...

    @property
    def api_key(self) -> SecretStr: ...


def _invalid(name: str, problem: str) -> ConfigurationError:
    return ConfigurationError("CONFIGURATION", f"{name} {problem}")


@dataclass(frozen=True, slots=True)
class WeChatPayConfig:
    """Validated at construction: a wrong configuration fails here, not on the first payment.

    TLS to WeChat is always verified, against the system's trusted CAs plus ``ca_bundle_path``
    when given (the sandbox's CA in tests); there is deliberately no way to turn that off.
    ``client_cert_path``/``client_key_path`` (apiclient_cert.pem / apiclient_key.pem from the
    merchant platform) are needed for refunds, which WeChat only accepts over mutual TLS.
    """

    appid: str
    mch_id: str
    api_key: SecretStr
    notify_url: str
    base_url: str = PRODUCTION_BASE_URL
    sign_type: SignType = SignType.HMAC_SHA256
    spbill_create_ip: str = "127.0.0.1"
    connect_timeout: float = 6.0
    read_timeout: float = 8.0
    client_cert_path: Path | None = None
    client_key_path: Path | None = None
    ca_bundle_path: Path | None = None
    refund_notify_url: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.api_key, str):
            object.__setattr__(self, "api_key", SecretStr(self.api_key))
        if not self.appid or not self.mch_id:
            raise _invalid("appid and mch_id", "must be set")
        if len(self.api_key.get_secret_value()) != API_KEY_LENGTH:
            raise _invalid("api_key", f"must be {API_KEY_LENGTH} characters")
        base = urlsplit(self.base_url)
        if base.scheme not in {"https", "http"} or not base.netloc or base.query:
            raise _invalid("base_url", "must be an http(s) URL like https://api.mch.weixin.qq.com")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        try:
            object.__setattr__(self, "sign_type", SignType(self.sign_type))
        except ValueError:
            raise _invalid("sign_type", "must be MD5 or HMAC-SHA256") from None
        for name in ("notify_url", "refund_notify_url"):
            url = getattr(self, name)
            if url is not None and urlsplit(url).scheme not in {"https", "http"}:
                raise _invalid(name, "must be an absolute http(s) URL")
        if (self.client_cert_path is None) != (self.client_key_path is None):
            raise _invalid("client_cert_path and client_key_path", "must be given together")
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise _invalid("timeouts", "must be positive")

    @property
    def has_client_certificate(self) -> bool:
        return self.client_cert_path is not None
