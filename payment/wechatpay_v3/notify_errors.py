"""Why a v3 notify was refused, in the v2 taxonomy (:mod:`payment.wechatpay.notify_errors`)
so that receivers handle both protocols alike. Each carries a short ``reason`` for metrics.

Refused notifies change nothing: the receiver answers 4XX/5XX and WeChat delivers again.
"""

from __future__ import annotations

from payment.wechatpay.notify_errors import NotifyRejectedError, NotifySignatureError
from payment.wechatpay_v3.verification import VerificationError

__all__ = [
    "NotifyEventTypeError",
    "NotifyJsonError",
    "NotifyUnverifiedError",
    "ResourceDecryptError",
]


class NotifyUnverifiedError(NotifySignatureError):
    """The ``Wechatpay-*`` headers are missing, the timestamp is outside ±5 minutes, the serial
    is unknown, or the signature does not verify (``reason`` says which)."""

    def __init__(self, error: VerificationError) -> None:
        super().__init__(str(error))
        self.reason = error.reason


class ResourceDecryptError(NotifyRejectedError):
    """A verified notify whose AES-256-GCM resource does not authenticate with our APIv3 key
    (bad tag, nonce, associated data or key): an authentication failure, never an empty value."""

    reason = "decrypt"


class NotifyJsonError(NotifyRejectedError):
    """A verified body that is not the documented JSON envelope (or a resource that is not a
    JSON object once decrypted)."""

    reason = "json"


class NotifyEventTypeError(NotifyRejectedError):
    """An event this receiver does not handle (only TRANSACTION.SUCCESS and REFUND.*)."""

    reason = "event_type"
