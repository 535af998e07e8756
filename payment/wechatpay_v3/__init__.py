"""A WeChat Pay API v3 client library for Native (QR code) payments, behind the v2 port.

- :class:`WeChatPayV3Client`: Native order, query, close, refund, refund query — the v2
  client's methods, types (:mod:`payment.wechatpay.types`) and errors
  (:mod:`payment.wechatpay.errors`); requests signed by :class:`WeChatPayV3Auth`, answers
  verified by a :class:`Verifier`.
- Verification is a small port with swappable key sources chosen by ``Wechatpay-Serial``:
  :class:`PublicKeySource` (WeChat Pay public key, ``PUB_KEY_ID_…``), :class:`PlatformCertificates`
  (downloaded and decrypted with the APIv3 key, kept fresh by :class:`CertificateRefresher`),
  and :class:`CombinedKeySource` for both during a switch.
- :func:`open_notification` / :func:`payment_notify` / :func:`refund_notify`: what WeChat POSTs
  back, verified over the raw body, then decrypted (AES-256-GCM), then mapped.

Reference: ../shared/reference/wechatpay-api.md §2 and §7 (T1-T3).
"""

from payment.wechatpay_v3.aead import DecryptionError, decrypt, encrypt
from payment.wechatpay_v3.auth import WeChatPayV3Auth
from payment.wechatpay_v3.client import REFUND_QUERY_NEEDS_OUT_REFUND_NO, WeChatPayV3Client
from payment.wechatpay_v3.config import MerchantKey, PlatformTrust, WeChatPayV3Config
from payment.wechatpay_v3.errors import Api, canonical_code, error_for_answer
from payment.wechatpay_v3.exchange import Exchange, ExchangeSettings
from payment.wechatpay_v3.key_sources import (
    CombinedKeySource,
    PlatformCertificate,
    PlatformCertificates,
    PublicKeySource,
    trusted_keys,
)
from payment.wechatpay_v3.keys import (
    certificate_serial,
    load_certificate,
    load_private_key,
    load_public_key,
)
from payment.wechatpay_v3.notify import (
    Notification,
    open_notification,
    payment_notify,
    refund_notify,
)
from payment.wechatpay_v3.notify_errors import (
    NotifyEventTypeError,
    NotifyJsonError,
    NotifyUnverifiedError,
    ResourceDecryptError,
)
from payment.wechatpay_v3.platform_certificates import (
    CertificateRefresher,
    download_certificates,
    refresher_for,
)
from payment.wechatpay_v3.verification import (
    BadSignatureError,
    KeySource,
    MissingHeadersError,
    ProbeSignatureError,
    SignatureVerifier,
    SignedMessage,
    StaleTimestampError,
    UnknownSerialError,
    VerificationError,
    Verifier,
)

__all__ = [
    "REFUND_QUERY_NEEDS_OUT_REFUND_NO",
    "Api",
    "BadSignatureError",
    "CertificateRefresher",
    "CombinedKeySource",
    "DecryptionError",
    "Exchange",
    "ExchangeSettings",
    "KeySource",
    "MerchantKey",
    "MissingHeadersError",
    "Notification",
    "NotifyEventTypeError",
    "NotifyJsonError",
    "NotifyUnverifiedError",
    "PlatformCertificate",
    "PlatformCertificates",
    "PlatformTrust",
    "ProbeSignatureError",
    "PublicKeySource",
    "ResourceDecryptError",
    "SignatureVerifier",
    "SignedMessage",
    "StaleTimestampError",
    "UnknownSerialError",
    "VerificationError",
    "Verifier",
    "WeChatPayV3Auth",
    "WeChatPayV3Client",
    "WeChatPayV3Config",
    "canonical_code",
    "certificate_serial",
    "decrypt",
    "download_certificates",
    "encrypt",
    "error_for_answer",
    "load_certificate",
    "load_private_key",
    "load_public_key",
    "open_notification",
    "payment_notify",
    "refresher_for",
    "refund_notify",
    "trusted_keys",
]
