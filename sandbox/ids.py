"""Identifiers shaped like WeChat's: code_url, prepay_id, transaction_id, refund_id, nonces."""

from __future__ import annotations

import itertools
import secrets
from datetime import datetime

from payment.wechatpay.constants import BEIJING

__all__ = ["Ids"]

CODE_URL_PREFIX = "weixin://wxpay/bizpayurl?pr="


class Ids:
    """Makes identifiers; transaction and refund ids carry a counter, so they never repeat."""

    def __init__(self) -> None:
        self._counter = itertools.count(secrets.randbelow(10**6))

    @staticmethod
    def code_url() -> str:
        """Like ``weixin://wxpay/bizpayurl?pr=p4lpSuKzz`` (reference §1.3)."""
        return CODE_URL_PREFIX + secrets.token_urlsafe(7)[:9]

    @staticmethod
    def prepay_id(now: datetime) -> str:
        """Like ``wx201410272009395522657a690389285100``."""
        return "wx" + now.astimezone(BEIJING).strftime("%Y%m%d%H%M%S") + secrets.token_hex(10)

    def transaction_id(self, now: datetime) -> str:
        """28 digits, like ``4200000540202005267407409907``."""
        day = now.astimezone(BEIJING).strftime("%Y%m%d")
        return f"42000{secrets.randbelow(10**5):05d}{day}{next(self._counter) % 10**10:010d}"

    def refund_id(self, now: datetime) -> str:
        """29 digits, like ``50300408942018112000049541283``."""
        day = now.astimezone(BEIJING).strftime("%Y%m%d")
        return f"50300{secrets.randbelow(10**6):06d}{day}{next(self._counter) % 10**10:010d}"

    @staticmethod
    def nonce() -> str:
        return secrets.token_hex(8)

    @staticmethod
    def openid() -> str:
        """28 characters, like ``oUpF8uMuAJO_M2pxb1Q9zNjWeS6o``."""
        return "o" + secrets.token_urlsafe(21)[:27]
