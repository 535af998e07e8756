"""A v3 error answer as the same error classes the v2 client raises (reference §2.1, §2.10).

v3 names errors with underscores (``SYSTEM_ERROR``, ``ORDER_NOT_EXIST``), older answers and
documents with the v2 spellings (``SYSTEMERROR``, ``ORDERNOTEXIST``); both arrive. Every code is
first brought to its **v2 name** — the vocabulary callers already know (the gRPC ErrorInfo
reason, CancelOrder's ORDERCLOSED/ORDERPAID) — and WeChat's own code and HTTP status are kept in
``err_code_des``. Then the HTTP status decides what the code does not: 202 and 5xx are retried
with the same parameters, 429 after a back-off, any other 4xx is final.
"""

from __future__ import annotations

from enum import StrEnum

from payment.wechatpay import constants as v2
from payment.wechatpay.errors import (
    BillDateRefusedError,
    ConfigurationError,
    RateLimitedError,
    RefundRefusedError,
    RetryableError,
    TransportError,
    UnrecognisedError,
    WeChatPayError,
    error_for,
)
from payment.wechatpay_v3 import constants as c

__all__ = ["Api", "canonical_code", "error_for_answer"]

BANKERROR = "BANKERROR"


class Api(StrEnum):
    """The v3 operations, as metric labels and as context for error codes."""

    NATIVE = "native"
    QUERY = "query"
    CLOSE = "close"
    REFUND = "refund"
    REFUND_QUERY = "refund_query"
    CERTIFICATES = "certificates"
    TRADE_BILL = "trade_bill"
    BILL_DOWNLOAD = "bill_download"


# v3 spelling → the v2 name. Codes spelt the same in both (PARAM_ERROR, INVALID_REQUEST,
# OUT_TRADE_NO_USED, FREQUENCY_LIMITED, …) and legacy spellings pass through unchanged.
_V2_NAMES: dict[str, str] = {
    c.SYSTEM_ERROR: v2.SYSTEMERROR,
    c.BANK_ERROR: BANKERROR,
    c.ORDER_NOT_EXIST: v2.ORDERNOTEXIST,
    c.ORDER_CLOSED: v2.ORDERCLOSED,
    c.ORDER_PAID: v2.ORDERPAID,
    c.NO_AUTH: v2.NOAUTH,
    c.NOT_ENOUGH: v2.NOTENOUGH,
    c.SIGN_ERROR: v2.SIGNERROR,
    c.MCH_NOT_EXISTS: v2.MCHID_NOT_EXIST,
    c.RATELIMIT_EXCEEDED: v2.FREQUENCY_LIMITED,
    c.RULE_LIMIT: "RULELIMIT",
    c.ACCOUNT_ERROR: "ACCOUNTERROR",
}

# "Not found" is about the thing the API is about: the order, or the refund.
_NOT_FOUND = {c.RESOURCE_NOT_EXISTS, c.ORDER_NOT_EXIST, v2.ORDERNOTEXIST}

# Same code, another meaning on the refund API: INVALID_REQUEST is "more than is refundable" or
# "out_refund_no reused with other parameters" there (§2.8), a refusal either way.
_REFUND_CLASSES: dict[str, type[WeChatPayError]] = {v2.INVALID_REQUEST: RefundRefusedError}

_RETRYABLE = {v2.SYSTEMERROR, BANKERROR, v2.BIZERR_NEED_RETRY}
_RATE_LIMITED = {v2.FREQUENCY_LIMITED, v2.INVALID_REQ_TOO_MUCH}


def canonical_code(api: Api, code: str) -> str:
    """The v2 name of a v3 code, given the API that answered it."""
    if code in _NOT_FOUND and api is not Api.CERTIFICATES:
        return v2.REFUNDNOTEXIST if api is Api.REFUND_QUERY else v2.ORDERNOTEXIST
    return _V2_NAMES.get(code, code)


def error_for_answer(api: Api, status: int, code: str, message: str) -> WeChatPayError:
    """The error for a non-2xx (or 202) answer with WeChat's ``code`` and ``message``."""
    name = canonical_code(api, code) if code else ""
    where = f"HTTP {status} {code}".rstrip()
    description = f"{message} ({where})" if message else where
    if status == 202 or name in _RETRYABLE:
        return RetryableError(name or f"HTTP_{status}", description)
    if status == 429 or name in _RATE_LIMITED:
        return RateLimitedError(name or v2.FREQUENCY_LIMITED, description)
    if not name:
        if status >= 500:
            return TransportError(f"HTTP_{status}", "WeChat Pay is unavailable")
        return ConfigurationError(f"HTTP_{status}", f"unexpected answer: {description}")
    if api is Api.TRADE_BILL and name in (v2.PARAM_ERROR, v2.INVALID_REQUEST):
        # The client always sends a well-formed bill_type and tar_type: the date is refused.
        return BillDateRefusedError(v2.INVALID_BILL_DATE, description)
    if api is Api.REFUND and name in _REFUND_CLASSES:
        return _REFUND_CLASSES[name](name, description)
    error = error_for(name, description)
    if status >= 500 and isinstance(error, UnrecognisedError):
        return TransportError(name, description)
    return error
