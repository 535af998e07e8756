"""The gateway's notify handler driven as ASGI, with a producer that records instead of
producing: what one request got back, and what it produced."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from callback_gateway.endpoint import NotifyEndpoint
from callback_gateway.protocol import NotifyProtocol
from callback_gateway.wechat_v2 import Merchant, V2PaymentNotify, V2RefundNotify
from callback_gateway.wechat_v3 import V3Notify
from payment.wechatpay_v3 import PublicKeySource, SignatureVerifier
from tests.fixtures.gateway import (
    API_KEY,
    APPID,
    MCH_ID,
    V3_API_KEY,
    V3_PUB_KEY_ID,
    FakeProducer,
    v3_platform_key,
)

MAX_BODY = 16_384
MERCHANT = Merchant(APPID, MCH_ID, SecretStr(API_KEY))


@dataclass
class Answer:
    status: int
    body: bytes
    produced: list[bytes] = field(default_factory=list)


def payment_endpoint(producer: FakeProducer) -> NotifyEndpoint:
    return _endpoint(V2PaymentNotify(MERCHANT, MAX_BODY), producer)


def refund_endpoint(producer: FakeProducer) -> NotifyEndpoint:
    return _endpoint(V2RefundNotify(MERCHANT, MAX_BODY), producer)


def v3_endpoint(producer: FakeProducer) -> NotifyEndpoint:
    """The v3 endpoint verifying with the test WeChat Pay public key."""
    keys = PublicKeySource(V3_PUB_KEY_ID, v3_platform_key().public_key())
    protocol = V3Notify(APPID, MCH_ID, V3_API_KEY.encode(), SignatureVerifier(keys))
    return _endpoint(protocol, producer)


def _endpoint(protocol: NotifyProtocol, producer: FakeProducer) -> NotifyEndpoint:
    return NotifyEndpoint(protocol, lambda: producer, "observations", MAX_BODY, 2.0, 2.0)


def post(
    endpoint: NotifyEndpoint,
    producer: FakeProducer,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One POST of `body` through the endpoint; an exception escaping it fails the caller.
    Header values go on the wire as Latin-1, as HTTP carries them."""
    before = len(producer.sent)
    raw_headers = [(b"content-length", str(len(body)).encode())] + [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in (headers or {}).items()
    ]
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "path": "/wechatpay/notify",
        "headers": raw_headers,
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(endpoint(scope, receive, send))
    start, body_message = sent
    return Answer(start["status"], body_message["body"], producer.sent[before:])
