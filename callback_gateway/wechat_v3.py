"""WeChat Pay API v3 notifies: signed JSON in, 204 or ``{"code", "message"}`` out (reference
§2.3, §2.8, §2.9).

One endpoint takes payment results (``TRANSACTION.SUCCESS``) and refund results (``REFUND.*``).
The ``Wechatpay-*`` signature over the raw body is checked before anything else (probes, stale
timestamps, unknown serials and changed bodies stop there), then the resource is decrypted with
the APIv3 key (a bad tag or nonce is an authentication failure), then the merchant is checked.
Refusals: 401 unverified or undecryptable, 403 another merchant, 400 anything malformed; WeChat
delivers again. Success is 204, answered only after Kafka's ack (the pipe does that).

Keys come from a :class:`payment.wechatpay_v3.Verifier` with the sources the settings name; in
platform-certificate mode :func:`certificates_kept_fresh` downloads them while the app runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from callback_gateway.protocol import Rejection, Reply
from callback_gateway.settings import GatewaySettings
from callback_gateway.wechat_v2 import payment_observed, refund_observed
from payment.wechatpay.notify_errors import (
    MerchantMismatchError,
    NotifyRejectedError,
    NotifySignatureError,
)
from payment.wechatpay.transport import build_poster
from payment.wechatpay_v3 import (
    Exchange,
    KeySource,
    MerchantKey,
    PlatformCertificates,
    PlatformTrust,
    ResourceDecryptError,
    SignatureVerifier,
    Verifier,
    WeChatPayV3Auth,
    open_notification,
    payment_notify,
    refresher_for,
    refund_notify,
    trusted_keys,
)
from paystream.events.v1 import events_pb2

__all__ = ["V3Notify", "V3NotifyUnconfigured", "V3Setup", "certificates_kept_fresh", "v3_setup"]

JSON = "application/json"
RAW_FORMAT = "wechatpay.v3.json"
ENDPOINT = "v3_notify"


def _failure(status: int, message: str) -> Reply:
    body = json.dumps(
        {"code": "FAIL", "message": message[:200]}, ensure_ascii=False, separators=(",", ":")
    ).encode()
    return Reply(status, JSON, body)


def _rejection(error: NotifyRejectedError) -> Rejection:
    if isinstance(error, NotifySignatureError | ResourceDecryptError):
        status = 401
    elif isinstance(error, MerchantMismatchError):
        status = 403
    else:
        status = 400
    return Rejection(error.reason, status, str(error))


class V3Notify:
    """``POST /wechatpay/v3/notify``: payment and refund results, verified then decrypted."""

    endpoint = ENDPOINT

    def __init__(
        self,
        appid: str,
        mch_id: str,
        apiv3_key: bytes,
        verifier: Verifier,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._appid = appid
        self._mch_id = mch_id
        self._apiv3_key = apiv3_key
        self._verifier = verifier
        self._clock = clock

    def accept(self, body: bytes, headers: Mapping[str, str]) -> events_pb2.PaymentObserved:
        try:
            notification = open_notification(body, headers, self._verifier, self._apiv3_key)
            if notification.is_refund:
                refund = refund_notify(notification, mch_id=self._mch_id)
                observed = refund_observed(refund, self._clock())
            else:
                payment = payment_notify(notification, appid=self._appid, mch_id=self._mch_id)
                observed = payment_observed(payment, self._clock())
        except NotifyRejectedError as error:
            raise _rejection(error) from error
        observed.raw_payload_format = RAW_FORMAT  # not part of the observation id
        return observed

    def success(self) -> Reply:
        return Reply(204, JSON, b"")

    def failure(self, status: int, reason: str) -> Reply:
        return _failure(status, reason)


class V3NotifyUnconfigured:
    """The same path on a gateway without v3 settings: 503, so WeChat keeps the notify and
    delivers it again (for 24h4m) while the configuration is fixed."""

    endpoint = ENDPOINT

    def accept(self, body: bytes, headers: Mapping[str, str]) -> events_pb2.PaymentObserved:
        raise Rejection("not_configured", 503, "API v3 is not configured on this gateway")

    def success(self) -> Reply:
        return Reply(204, JSON, b"")

    def failure(self, status: int, reason: str) -> Reply:
        return _failure(status, reason)


@dataclass(frozen=True)
class _Endpoint:
    """Where the certificates are downloaded from (payment.wechatpay_v3.ExchangeSettings and
    payment.wechatpay.transport.TransportSettings: TLS verified, no client certificate)."""

    base_url: str
    ca_bundle_path: Path | None
    connect_timeout: float = 6.0
    read_timeout: float = 8.0
    client_cert_path: Path | None = None
    client_key_path: Path | None = None


@dataclass(frozen=True)
class V3Setup:
    """The v3 endpoint's protocol, and what must run beside it while the app runs."""

    protocol: V3Notify | V3NotifyUnconfigured
    background: Callable[[], AbstractAsyncContextManager[None]] | None = None


def v3_setup(settings: GatewaySettings) -> V3Setup:
    """Reads the v3 key files (ConfigurationError when one is not a usable key)."""
    if not settings.v3_configured:
        return V3Setup(V3NotifyUnconfigured())
    trust = settings.v3_trust()
    keys, store = trusted_keys(trust)
    verifier = SignatureVerifier(keys)
    protocol = V3Notify(
        settings.wechatpay_appid, settings.wechatpay_mch_id, trust.apiv3_key_bytes, verifier
    )
    if store is None:
        return V3Setup(protocol)
    merchant = settings.v3_merchant(settings.wechatpay_mch_id)
    endpoint = _Endpoint(settings.wechatpay_base_url.rstrip("/"), settings.wechatpay_ca_bundle)

    def background() -> AbstractAsyncContextManager[None]:
        return certificates_kept_fresh(endpoint, merchant, trust, verifier, keys, store)

    return V3Setup(protocol, background)


@asynccontextmanager
async def certificates_kept_fresh(
    endpoint: _Endpoint,
    merchant: MerchantKey,
    trust: PlatformTrust,
    verifier: Verifier,
    keys: KeySource,
    store: PlatformCertificates,
) -> AsyncIterator[None]:
    """Downloads the platform certificates at start and refreshes them in the background."""
    http = build_poster(endpoint)
    try:
        auth = WeChatPayV3Auth(merchant, public_key_id=trust.public_key_id)
        exchange = Exchange(http, endpoint, auth, verifier)
        refresher = refresher_for(exchange, trust, keys, store, clock=time.time)
        async with refresher.running(first_timeout=endpoint.read_timeout):
            yield
    finally:
        await http.aclose()
