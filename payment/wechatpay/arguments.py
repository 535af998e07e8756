"""Argument checks both WeChat clients make before anything is sent (a caller's mistake is a
CallerError with PARAM_ERROR, never a request WeChat would refuse)."""

from __future__ import annotations

from payment.wechatpay import constants as c
from payment.wechatpay.errors import CallerError


def require(**values: str) -> None:
    """Each named text is present and not empty."""
    for name, value in values.items():
        if not value:
            raise CallerError(c.PARAM_ERROR, f"{name} is required")


def positive_fen(**amounts: int) -> None:
    """Each named amount is a whole number of fen, at least 1."""
    for name, amount in amounts.items():
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
            raise CallerError(c.PARAM_ERROR, f"{name} must be a whole number of fen, at least 1")
