"""Signing every v3 request as it leaves: an ``httpx.Auth`` (STYLE.md §7).

``requires_request_body = True`` makes httpx hand over the exact bytes it will send, so what is
signed is what is sent (the most common v3 signing bug is signing a different serialisation).
The clock and the nonce are injected, so signatures have fixed-vector tests (§7 T3).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator

import httpx

from payment.wechatpay_v3.config import MerchantKey
from payment.wechatpay_v3.constants import HEADER_SERIAL, JSON
from payment.wechatpay_v3.signing import (
    Authorization,
    authorization_header,
    new_nonce,
    request_message,
    sign,
)

__all__ = ["WeChatPayV3Auth"]


def _unix_seconds() -> int:
    return int(time.time())


class WeChatPayV3Auth(httpx.Auth):
    """Adds ``Authorization: WECHATPAY2-SHA256-RSA2048 …`` (and, in public-key mode, the
    ``Wechatpay-Serial`` of the key WeChat should sign with, as the official demos do)."""

    requires_request_body = True

    def __init__(
        self,
        merchant: MerchantKey,
        *,
        public_key_id: str | None = None,
        clock: Callable[[], int] = _unix_seconds,
        nonce: Callable[[], str] = new_nonce,
    ) -> None:
        self._merchant = merchant
        self._public_key_id = public_key_id
        self._clock = clock
        self._nonce = nonce

    def authorization(self, method: str, canonical_url: str, body: bytes) -> str:
        timestamp, nonce = str(self._clock()), self._nonce()
        message = request_message(method, canonical_url, timestamp, nonce, body)
        return authorization_header(
            Authorization(
                mchid=self._merchant.mch_id,
                nonce_str=nonce,
                timestamp=timestamp,
                serial_no=self._merchant.serial,
                signature=sign(message, self._merchant.private_key),
            )
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        canonical_url = request.url.raw_path.decode("ascii")
        request.headers["Authorization"] = self.authorization(
            request.method, canonical_url, request.content
        )
        request.headers["Accept"] = JSON
        if request.content:
            request.headers["Content-Type"] = JSON
        else:
            request.headers.pop("Content-Type", None)
        if self._public_key_id is not None:
            request.headers[HEADER_SERIAL] = self._public_key_id
        yield request
