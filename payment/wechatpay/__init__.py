"""A WeChat Pay API v2 client library for Native (QR code) payments.

- :class:`WeChatPayV2Client`: unifiedorder (NATIVE), orderquery, closeorder, refund (mutual TLS),
  refundquery; signed requests, verified answers, typed results, bounded retries.
- :func:`parse_payment_notify` / :func:`parse_refund_notify`: verify what WeChat POSTs back;
  :func:`success_reply` / :func:`fail_reply` answer it.
- :mod:`.signing` and :mod:`.xml_codec`: the signature algorithm and the hardened XML codec.

Reference: ../shared/reference/wechatpay-api.md. No protobuf here: the gRPC service maps these
types to its messages.
"""

from payment.wechatpay.attempts import AttemptRecord
from payment.wechatpay.client import WeChatPayV2Client
from payment.wechatpay.config import MerchantKeys, WeChatPayConfig
from payment.wechatpay.errors import (
    BusinessOutcomeError,
    CallerError,
    ConfigurationError,
    DeadlineExceededError,
    OrderClosedError,
    OrderNotFoundError,
    OrderPaidError,
    OutTradeNoReusedError,
    RateLimitedError,
    RefundNotFoundError,
    RefundRefusedError,
    ResponseFormatError,
    ResponseSignatureError,
    RetryableError,
    TlsVerificationError,
    TransportError,
    UnrecognisedError,
    WeChatPayError,
)
from payment.wechatpay.http import AiohttpPoster, HttpAnswer, HttpPoster, HttpxPoster
from payment.wechatpay.notify import fail_reply, parse_payment_notify, success_reply
from payment.wechatpay.notify_errors import (
    MerchantMismatchError,
    NotifyFieldError,
    NotifyNotSuccessError,
    NotifyRejectedError,
    NotifySignatureError,
    NotifySignTypeError,
    NotifyXmlError,
    ReqInfoDecryptError,
    SignatureProbeError,
)
from payment.wechatpay.refund_notify import decrypt_req_info, parse_refund_notify
from payment.wechatpay.retry import RetryPolicy, Timing
from payment.wechatpay.signing import SignType
from payment.wechatpay.transport import build_poster, build_ssl_context
from payment.wechatpay.types import (
    NativeOrder,
    PaymentNotify,
    RefundNotify,
    RefundQueryResult,
    RefundRecord,
    RefundResult,
    RefundStatus,
    TradeState,
    TradeStatus,
)

__all__ = [
    "AiohttpPoster",
    "AttemptRecord",
    "BusinessOutcomeError",
    "CallerError",
    "ConfigurationError",
    "DeadlineExceededError",
    "HttpAnswer",
    "HttpPoster",
    "HttpxPoster",
    "MerchantKeys",
    "MerchantMismatchError",
    "NativeOrder",
    "NotifyFieldError",
    "NotifyNotSuccessError",
    "NotifyRejectedError",
    "NotifySignTypeError",
    "NotifySignatureError",
    "NotifyXmlError",
    "OrderClosedError",
    "OrderNotFoundError",
    "OrderPaidError",
    "OutTradeNoReusedError",
    "PaymentNotify",
    "RateLimitedError",
    "RefundNotFoundError",
    "RefundNotify",
    "RefundQueryResult",
    "RefundRecord",
    "RefundRefusedError",
    "RefundResult",
    "RefundStatus",
    "ReqInfoDecryptError",
    "ResponseFormatError",
    "ResponseSignatureError",
    "RetryPolicy",
    "RetryableError",
    "SignType",
    "SignatureProbeError",
    "Timing",
    "TlsVerificationError",
    "TradeState",
    "TradeStatus",
    "TransportError",
    "UnrecognisedError",
    "WeChatPayConfig",
    "WeChatPayError",
    "WeChatPayV2Client",
    "build_poster",
    "build_ssl_context",
    "decrypt_req_info",
    "fail_reply",
    "parse_payment_notify",
    "parse_refund_notify",
    "success_reply",
]
