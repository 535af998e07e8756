"""WeChat's v3 JSON → our types (reference §2.5-§2.9): the same types the v2 client returns.

Amounts are integer fen (``amount.total``; the cash part is ``amount.payer_total``), times are
RFC 3339 with an offset → aware UTC. v3 refund statuses are renamed to the v2 ones the rest of
the system knows (CLOSED → REFUNDCLOSE, ABNORMAL → CHANGE). A field that breaks the documented
format raises :class:`payment.wechatpay.mapping.MappingError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from payment.wechatpay.mapping import MappingError, trade_state
from payment.wechatpay.types import (
    RefundRecord,
    RefundResult,
    RefundStatus,
    TradeStatus,
)
from payment.wechatpay_v3.constants import BEIJING

__all__ = [
    "amount",
    "integer",
    "json_object",
    "optional_text",
    "optional_time",
    "parse_time",
    "refund_record",
    "refund_result",
    "refund_status",
    "rfc3339",
    "text",
    "trade_status",
]

_REFUND_STATUSES = {
    "SUCCESS": RefundStatus.SUCCESS,
    "PROCESSING": RefundStatus.PROCESSING,
    "CLOSED": RefundStatus.REFUNDCLOSE,
    "ABNORMAL": RefundStatus.CHANGE,
}
_MAX_FEN = 10**16


def json_object(value: Any, name: str = "answer") -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise MappingError(f"{name} is not a JSON object")
    return value


def _member(obj: Mapping[str, Any], path: str) -> Any:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def optional_text(obj: Mapping[str, Any], path: str) -> str | None:
    value = _member(obj, path)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MappingError(f"{path} is not a string")
    return value


def text(obj: Mapping[str, Any], path: str) -> str:
    value = optional_text(obj, path)
    if value is None:
        raise MappingError(f"field {path!r} is missing")
    return value


def integer(obj: Mapping[str, Any], path: str) -> int | None:
    """A whole number of fen (JSON integer, not a bool, not a float), or None when absent."""
    value = _member(obj, path)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < _MAX_FEN:
        raise MappingError(f"{path} {str(value)[:24]!r} is not an integer number of fen")
    return value


def amount(obj: Mapping[str, Any], path: str) -> int:
    value = integer(obj, path)
    if value is None:
        raise MappingError(f"field {path!r} is missing")
    return value


def parse_time(value: str) -> datetime:
    """RFC 3339 with an offset (``2018-06-08T10:34:56+08:00``) → an aware UTC datetime."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise MappingError(f"time {value[:32]!r} is not RFC 3339") from None
    if moment.tzinfo is None:
        raise MappingError(f"time {value[:32]!r} has no offset")
    return moment.astimezone(UTC)


def optional_time(obj: Mapping[str, Any], path: str) -> datetime | None:
    value = optional_text(obj, path)
    return parse_time(value) if value is not None else None


def rfc3339(moment: datetime) -> str:
    """An aware datetime as WeChat writes it: Beijing time, whole seconds, ``+08:00``."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no time zone; pass an aware one")
    return moment.astimezone(BEIJING).replace(microsecond=0).isoformat()


def refund_status(value: str) -> RefundStatus:
    try:
        return _REFUND_STATUSES[value]
    except KeyError:
        raise MappingError(f"unknown refund status {value[:32]!r}") from None


def trade_status(obj: Mapping[str, Any]) -> TradeStatus:
    """A query answer (§2.6); an unpaid order carries little more than its state."""
    return TradeStatus(
        out_trade_no=text(obj, "out_trade_no"),
        trade_state=trade_state(text(obj, "trade_state")),
        trade_state_desc=optional_text(obj, "trade_state_desc") or "",
        transaction_id=optional_text(obj, "transaction_id"),
        total_fee=integer(obj, "amount.total"),
        cash_fee=integer(obj, "amount.payer_total"),
        success_time=optional_time(obj, "success_time"),
        attach=optional_text(obj, "attach"),
        trade_type=optional_text(obj, "trade_type"),
        bank_type=optional_text(obj, "bank_type"),
        openid=optional_text(obj, "payer.openid"),
        currency=optional_text(obj, "amount.currency"),
        cash_currency=optional_text(obj, "amount.payer_currency"),
    )


def refund_result(obj: Mapping[str, Any]) -> RefundResult:
    """A refund answer (§2.8): accepted; the outcome comes later."""
    return RefundResult(
        out_trade_no=text(obj, "out_trade_no"),
        out_refund_no=text(obj, "out_refund_no"),
        refund_id=text(obj, "refund_id"),
        transaction_id=text(obj, "transaction_id"),
        refund_fee=amount(obj, "amount.refund"),
        total_fee=amount(obj, "amount.total"),
        cash_fee=integer(obj, "amount.payer_total"),
    )


def refund_record(obj: Mapping[str, Any]) -> RefundRecord:
    """A refund as the refund query answers it (§2.8)."""
    return RefundRecord(
        out_refund_no=text(obj, "out_refund_no"),
        refund_id=text(obj, "refund_id"),
        refund_fee=amount(obj, "amount.refund"),
        status=refund_status(text(obj, "status")),
        success_time=optional_time(obj, "success_time"),
        channel=optional_text(obj, "channel"),
        recv_account=optional_text(obj, "user_received_account"),
    )
