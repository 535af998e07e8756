"""What can go wrong calling WeChat Pay v2, as a small taxonomy (reference §1.10).

- :class:`RetryableError`: calling again with the same parameters may succeed (SYSTEMERROR,
  BIZERR_NEED_RETRY, timeouts, connection failures, HTTP 5xx, unparsable answers). The client
  retries these itself, within the caller's deadline.
- :class:`BusinessOutcomeError`: WeChat answered, and the answer is final for these parameters
  (ORDERPAID, ORDERCLOSED, ORDERNOTEXIST, re-entry with other parameters, over-refund...).
- :class:`CallerError`: the request itself is wrong (SIGNERROR, LACK_PARAMS, PARAM_ERROR...);
  :class:`ConfigurationError` when the fix is in the configuration (NOAUTH, APPID_*, no client
  certificate, a CA that does not verify WeChat's certificate).
- :class:`ResponseSignatureError`: an answer whose signature does not verify. Never trusted.

Every error carries WeChat's ``err_code`` (or a name of ours for failures WeChat did not name)
and ``err_code_des``.
"""

from __future__ import annotations

from payment.wechatpay import constants as c

__all__ = [
    "BillDateRefusedError",
    "BillDigestError",
    "BillFormatError",
    "BillNotReadyError",
    "BillRejectedError",
    "BillTotalsError",
    "BusinessOutcomeError",
    "CallerError",
    "ConfigurationError",
    "DeadlineExceededError",
    "NoBillError",
    "OrderClosedError",
    "OrderNotFoundError",
    "OrderPaidError",
    "OutTradeNoReusedError",
    "RateLimitedError",
    "RefundNotFoundError",
    "RefundRefusedError",
    "ResponseFormatError",
    "ResponseSignatureError",
    "RetryableError",
    "TlsVerificationError",
    "TransportError",
    "UnrecognisedError",
    "WeChatPayError",
    "error_for",
]


class WeChatPayError(Exception):
    """Base of every error the client raises."""

    def __init__(self, err_code: str, err_code_des: str = "") -> None:
        super().__init__(f"{err_code}: {err_code_des}" if err_code_des else err_code)
        self.err_code = err_code
        self.err_code_des = err_code_des


class RetryableError(WeChatPayError):
    """Transient: the same request again (same out_trade_no / out_refund_no) may succeed."""

    min_backoff: float = 0.0


class TransportError(RetryableError):
    """No usable answer: timeout, connection failure, HTTP 5xx, or a body that is not XML."""


class RateLimitedError(RetryableError):
    """FREQUENCY_LIMITED / INVALID_REQ_TOO_MUCH: retry only after backing off."""

    def __init__(self, err_code: str, err_code_des: str = "") -> None:
        super().__init__(err_code, err_code_des)
        self.min_backoff = 60.0 if err_code == c.INVALID_REQ_TOO_MUCH else 1.0


class DeadlineExceededError(RetryableError):
    """The caller's deadline ran out before WeChat gave a final answer; safe to call again."""


class BusinessOutcomeError(WeChatPayError):
    """WeChat's final answer for these parameters: retrying the same request will not change it."""


class OrderPaidError(BusinessOutcomeError):
    """ORDERPAID: the order is paid (it cannot be re-ordered or closed); query it for details."""


class OrderClosedError(BusinessOutcomeError):
    """ORDERCLOSED: the order is closed; it cannot be paid, and a new order needs a new number."""


class OrderNotFoundError(BusinessOutcomeError):
    """ORDERNOTEXIST: WeChat has no such order."""


class RefundNotFoundError(BusinessOutcomeError):
    """REFUNDNOTEXIST: WeChat has no such refund."""


class OutTradeNoReusedError(BusinessOutcomeError):
    """INVALID_REQUEST ("201 商户订单号重复") or OUT_TRADE_NO_USED: the out_trade_no was used with
    other parameters; WeChat's re-entry rule needs identical ones (§1.3)."""


class RefundRefusedError(BusinessOutcomeError):
    """The refund cannot be made: more than is refundable, balance too low (NOTENOUGH), order too
    old (TRADE_OVERDUE), account problems, or WeChat's generic business ERROR."""


class BillNotReadyError(BusinessOutcomeError):
    """STATEMENT_CREATING / "Bill Creating": the day's bill is not made yet (before 10:00 the
    next day, Beijing time). Final for now; ask again in about 30 minutes."""


class NoBillError(BusinessOutcomeError):
    """NO_STATEMENT_EXIST / "No Bill Exist": no trade and no refund that day. Final."""


class BillDateRefusedError(BusinessOutcomeError):
    """INVALID_BILL_DATE: WeChat serves no bill for that day (more than three months back, or a
    date it does not accept)."""


class UnrecognisedError(BusinessOutcomeError):
    """A result_code=FAIL with an err_code this client does not know. Not retried."""


class CallerError(WeChatPayError):
    """The request is wrong (signature, missing or malformed parameters); fix the caller."""


class ConfigurationError(CallerError):
    """The configuration is wrong or incomplete (appid, mch_id, key, certificates, permissions)."""


class TlsVerificationError(ConfigurationError):
    """WeChat's (or the sandbox's) TLS certificate did not verify against the trusted CAs."""


class ResponseSignatureError(WeChatPayError):
    """An answer with return_code=SUCCESS whose signature is missing or wrong: never trusted."""


class ResponseFormatError(WeChatPayError):
    """A verified answer that breaks the documented format (a missing field, a bad amount)."""


class BillRejectedError(ResponseFormatError):
    """A downloaded bill refused as a whole: never a partial result."""


class BillDigestError(BillRejectedError):
    """BILL_DIGEST: the v3 bill's SHA-1 is not the hash_value WeChat announced."""


class BillFormatError(BillRejectedError):
    """BILL_FORMAT: the bill is not WeChat's trade-bill format (header, line, value)."""


class BillTotalsError(BillRejectedError):
    """BILL_TOTALS: a summary total is not the sum of the lines."""


_RETRYABLE = {c.SYSTEMERROR, c.BIZERR_NEED_RETRY}
_RATE_LIMITED = {c.FREQUENCY_LIMITED, c.INVALID_REQ_TOO_MUCH}
_BUSINESS: dict[str, type[BusinessOutcomeError]] = {
    c.ORDERPAID: OrderPaidError,
    c.ORDERCLOSED: OrderClosedError,
    c.ORDERNOTEXIST: OrderNotFoundError,
    c.REFUNDNOTEXIST: RefundNotFoundError,
    c.INVALID_REQUEST: OutTradeNoReusedError,
    c.OUT_TRADE_NO_USED: OutTradeNoReusedError,
    c.NOTENOUGH: RefundRefusedError,
    c.ERROR: RefundRefusedError,
    c.TRADE_OVERDUE: RefundRefusedError,
    c.USER_ACCOUNT_ABNORMAL: RefundRefusedError,
    c.INVALID_TRANSACTIONID: RefundRefusedError,
    c.STATEMENT_CREATING: BillNotReadyError,
    c.NO_STATEMENT_EXIST: NoBillError,
    c.INVALID_BILL_DATE: BillDateRefusedError,
}
_CALLER = {
    c.SIGNERROR,
    c.LACK_PARAMS,
    c.XML_FORMAT_ERROR,
    c.REQUIRE_POST_METHOD,
    c.POST_DATA_EMPTY,
    c.NOT_UTF8,
    c.PARAM_ERROR,
    c.RETURN_FAIL,
}
_CONFIGURATION = {c.NOAUTH, c.APPID_NOT_EXIST, c.MCHID_NOT_EXIST, c.APPID_MCHID_NOT_MATCH}


def error_for(err_code: str, err_code_des: str = "") -> WeChatPayError:
    """The error to raise for a WeChat ``err_code`` (from result_code=FAIL or a return_msg)."""
    if err_code in _RETRYABLE:
        return RetryableError(err_code, err_code_des)
    if err_code in _RATE_LIMITED:
        return RateLimitedError(err_code, err_code_des)
    if err_code in _CONFIGURATION:
        return ConfigurationError(err_code, err_code_des)
    if err_code in _CALLER:
        return CallerError(err_code, err_code_des)
    business = _BUSINESS.get(err_code, UnrecognisedError)
    return business(err_code, err_code_des)
