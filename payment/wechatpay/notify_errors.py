"""Why a notify from "WeChat" was refused. Each carries a short ``reason`` for logs and metrics.

A refused notify must change nothing: the receiver answers FAIL and WeChat (if it was WeChat)
delivers again on its schedule.
"""

from __future__ import annotations

__all__ = [
    "MerchantMismatchError",
    "NotifyFieldError",
    "NotifyNotSuccessError",
    "NotifyRejectedError",
    "NotifySignTypeError",
    "NotifySignatureError",
    "NotifyXmlError",
    "ReqInfoDecryptError",
    "SignatureProbeError",
]


class NotifyRejectedError(ValueError):
    """Base: the body is not a notify we can trust."""

    reason = "rejected"


class NotifyXmlError(NotifyRejectedError):
    """Not one flat, safe, UTF-8 XML document (the :class:`XmlError` is the ``__cause__``)."""

    reason = "xml"

    def __init__(self, message: str, xml_reason: str) -> None:
        super().__init__(message)
        self.xml_reason = xml_reason


class NotifyNotSuccessError(NotifyRejectedError):
    """``return_code`` is not SUCCESS: such a message carries no signature and no payment."""

    reason = "return_code"


class NotifySignatureError(NotifyRejectedError):
    """The signature is missing or does not verify with our API key."""

    reason = "signature"


class SignatureProbeError(NotifySignatureError):
    """WeChat's deliberately wrongly signed probe (``WECHATPAY/SIGNTEST/...``): answer FAIL and
    wait for the properly signed delivery."""

    reason = "probe"


class NotifySignTypeError(NotifySignatureError):
    """``sign_type`` names an algorithm WeChat does not have."""

    reason = "sign_type"


class MerchantMismatchError(NotifyRejectedError):
    """Correctly signed, but for another appid or mch_id than ours."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} is not ours")
        self.field = field
        self.reason = field


class NotifyFieldError(NotifyRejectedError):
    """A verified notify whose fields break the documented format (missing, bad amount...)."""

    reason = "field"


class ReqInfoDecryptError(NotifyRejectedError):
    """A refund notify's ``req_info`` does not decrypt (bad base64, length, key or padding) or
    does not hold the expected XML. Never read as an empty value."""

    reason = "req_info"
