"""A scripted WeChat Pay v3 for client unit tests, behind httpx.MockTransport.

The "platform" signs with the Appendix B key, named by a public-key id; the merchant signs with
the same key (the reference's T3 merchant, serial F5765756002FDD77).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr

from payment.wechatpay.http import HttpxPoster
from payment.wechatpay.retry import RetryPolicy, Timing
from payment.wechatpay_v3 import (
    MerchantKey,
    PlatformTrust,
    WeChatPayV3Client,
    WeChatPayV3Config,
)
from payment.wechatpay_v3.keys import parse_private_key, parse_public_key
from payment.wechatpay_v3.signing import response_message, sign
from tests.unit.wechatpay_v3 import vectors as v

APPID = "wxd678efh567hg6787"
MCH_ID = "1230000109"
PUB_KEY_ID = "PUB_KEY_ID_0000000000000024101100397200000006"
APIV3_KEY = "0123456789abcdef0123456789ABCDEF"
PLATFORM_KEY = parse_private_key(v.APPENDIX_B_PRIVATE_KEY)
PLATFORM_PUBLIC_KEY = parse_public_key(v.APPENDIX_A_CERTIFICATE)
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

Handler = Callable[[httpx.Request], httpx.Response]


def signed(
    status: int,
    payload: Any = None,
    *,
    now: datetime = NOW,
    serial: str = PUB_KEY_ID,
    nonce: str = "n0nce",
    timestamp: int | None = None,
    body: bytes | None = None,
) -> httpx.Response:
    """An answer signed the way WeChat signs it."""
    content = body if body is not None else b"" if payload is None else json.dumps(payload).encode()
    stamp = str(timestamp if timestamp is not None else int(now.timestamp()))
    signature = sign(response_message(stamp, nonce, content), PLATFORM_KEY)
    headers = {
        "Wechatpay-Timestamp": stamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature": signature,
        "Request-ID": "08F1B1C4B20610A5051895",
    }
    return httpx.Response(status, content=content, headers=headers)


def error(status: int, code: str, message: str = "说明", **options: Any) -> httpx.Response:
    return signed(status, {"code": code, "message": message}, **options)


def config(**overrides: Any) -> WeChatPayV3Config:
    values: dict[str, Any] = {
        "appid": APPID,
        "merchant": MerchantKey(MCH_ID, v.T3_MERCHANT_SERIAL, PLATFORM_KEY),
        "trust": PlatformTrust(
            apiv3_key=SecretStr(APIV3_KEY), public_key_id=PUB_KEY_ID, public_key=PLATFORM_PUBLIC_KEY
        ),
        "notify_url": "https://shop.example.com/wechatpay/v3/notify",
        "base_url": "https://api.mch.weixin.qq.com",
    }
    values.update(overrides)
    return WeChatPayV3Config(**values)


class NoSleep:
    """Timing whose sleeps only record how long they would have been."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


@asynccontextmanager
async def merchant_client(
    handler: Handler,
    *,
    now: datetime = NOW,
    nonce: str = "593BEC0C930BF1AFEB40B4A08C8FB242",
    sleeps: NoSleep | None = None,
    **overrides: Any,
) -> AsyncIterator[WeChatPayV3Client]:
    """A client on a MockTransport, its clock fixed at ``now``."""
    timing = Timing(sleep=(sleeps or NoSleep()).sleep)
    transport = httpx.MockTransport(handler)
    async with httpx.AsyncClient(transport=transport) as http:
        client = WeChatPayV3Client(
            config(**overrides),
            HttpxPoster(http),
            clock=lambda: now,
            nonce=lambda: nonce,
            retry=RetryPolicy(base_delay=0.01),
            timing=timing,
        )
        async with client.running():
            yield client
