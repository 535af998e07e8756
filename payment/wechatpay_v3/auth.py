"""Signing every v3 request as it leaves (reference §2.2): the headers of one request, computed
from the exact method, path-and-query and body bytes that are then sent (the most common v3
signing bug is signing a different serialisation than the one sent).
The clock and the nonce are injected, so signatures have fixed-vector tests (§7 T3).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

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


class WeChatPayV3Auth:
    """``Authorization: WECHATPAY2-SHA256-RSA2048 …`` (and, in public-key mode, the
    ``Wechatpay-Serial`` of the key WeChat should sign with, as the official demos do)."""

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

    def headers(self, method: str, url: str, body: bytes) -> dict[str, str]:
        """The headers that sign `body` sent to `url` (already percent-encoded, sent as is)."""
        parts = urlsplit(url)
        canonical_url = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"Authorization": self.authorization(method, canonical_url, body), "Accept": JSON}
        if body:
            headers["Content-Type"] = JSON
        if self._public_key_id is not None:
            headers[HEADER_SERIAL] = self._public_key_id
        return headers
