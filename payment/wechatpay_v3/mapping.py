"""WeChat's v3 JSON → our types (reference §2.5-§2.9): the same types the v2 client returns.

Amounts are integer fen (``amount.total``; the cash part is ``amount.payer_total``), times are
RFC 3339 with an offset → aware UTC. v3 refund statuses are renamed to the v2 ones the rest of
the system knows (CLOSED → REFUNDCLOSE, ABNORMAL → CHANGE). A field that breaks the documented
format raises :class:`payment.wechatpay.mapping.MappingError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from payment.wechatpay.mapping import MappingError, trade_state
from payment.wechatpay.types import (
    RefundRecord,
    RefundResult,
    RefundStatus,
    TradeState,
    TradeStatus,
)
from payment.wechatpay_v3 import fields
from payment.wechatpay_v3.constants import BEIJING

__all__ = [
    "amount",
    "currency",
    "identifier",
    "integer",
    "json_object",
    "optional_identifier",
    "optional_text",
    "optional_time",
    "parse_time",
    "refund_record",
    "refund_result",
    "refund_status",
    "rfc3339",
    "text",
    "time",
    "trade_status",
]

_REFUND_STATUSES = {
    "SUCCESS": RefundStatus.SUCCESS,
    "PROCESSING": RefundStatus.PROCESSING,
    "CLOSED": RefundStatus.REFUNDCLOSE,
    "ABNORMAL": RefundStatus.CHANGE,
}

json_object = fields.json_object
parse_time = fields.rfc3339_time


def _member(obj: Mapping[str, Any], path: str) -> Any:
    """The value at ``a.b``; None when absent or null. What stands in the way must be an
    object: ``"amount": 5`` is malformed, not an order without an amount."""
    value: Any = obj
    parts = path.split(".")
    for depth, part in enumerate(parts):
        if value is None:
            return None
        if not isinstance(value, dict):
            raise MappingError(f"{'.'.join(parts[:depth])} is not a JSON object")
        value = value.get(part)
    return value


def _present(obj: Mapping[str, Any], path: str) -> Any:
    value = _member(obj, path)
    if value is None or value == "":
        return None
    return value


def _required(obj: Mapping[str, Any], path: str) -> Any:
    value = _present(obj, path)
    if value is None:
        raise MappingError(f"field {path!r} is missing")
    return value


def optional_text(obj: Mapping[str, Any], path: str) -> str | None:
    value = _present(obj, path)
    return fields.text(value, path) if value is not None else None


def text(obj: Mapping[str, Any], path: str) -> str:
    return fields.text(_required(obj, path), path)


def optional_identifier(obj: Mapping[str, Any], path: str) -> str | None:
    value = _present(obj, path)
    return fields.identifier(value, path) if value is not None else None


def identifier(obj: Mapping[str, Any], path: str) -> str:
    return fields.identifier(_required(obj, path), path)


def integer(obj: Mapping[str, Any], path: str) -> int | None:
    """A whole number of fen, or None when absent."""
    value = _member(obj, path)
    return fields.fen(value, path) if value is not None else None


def amount(obj: Mapping[str, Any], path: str) -> int:
    value = _member(obj, path)
    if value is None:
        raise MappingError(f"field {path!r} is missing")
    return fields.fen(value, path)


def currency(obj: Mapping[str, Any], path: str) -> str | None:
    """A currency code, or None when absent (WeChat's default is CNY). An empty one is
    malformed: it is not the same as saying nothing."""
    value = _member(obj, path)
    return fields.currency(value, path) if value is not None else None


def time(obj: Mapping[str, Any], path: str) -> datetime:
    return fields.rfc3339_time(_required(obj, path), path)


def optional_time(obj: Mapping[str, Any], path: str) -> datetime | None:
    value = _present(obj, path)
    return fields.rfc3339_time(value, path) if value is not None else None


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
    """A query answer (§2.6); an unpaid order carries little more than its state, a paid one
    (SUCCESS) what a payment notify must carry: its transaction, amount and time."""
    state = trade_state(text(obj, "trade_state"))
    paid = state is TradeState.SUCCESS
    return TradeStatus(
        out_trade_no=identifier(obj, "out_trade_no"),
        trade_state=state,
        trade_state_desc=optional_text(obj, "trade_state_desc") or "",
        transaction_id=(identifier if paid else optional_identifier)(obj, "transaction_id"),
        total_fee=amount(obj, "amount.total") if paid else integer(obj, "amount.total"),
        cash_fee=integer(obj, "amount.payer_total"),
        success_time=(time if paid else optional_time)(obj, "success_time"),
        attach=optional_text(obj, "attach"),
        trade_type=optional_text(obj, "trade_type"),
        bank_type=optional_text(obj, "bank_type"),
        openid=optional_text(obj, "payer.openid"),
        currency=currency(obj, "amount.currency"),
        cash_currency=currency(obj, "amount.payer_currency"),
    )


def refund_result(obj: Mapping[str, Any]) -> RefundResult:
    """A refund answer (§2.8): accepted; the outcome comes later."""
    return RefundResult(
        out_trade_no=identifier(obj, "out_trade_no"),
        out_refund_no=identifier(obj, "out_refund_no"),
        refund_id=identifier(obj, "refund_id"),
        transaction_id=identifier(obj, "transaction_id"),
        refund_fee=amount(obj, "amount.refund"),
        total_fee=amount(obj, "amount.total"),
        cash_fee=integer(obj, "amount.payer_total"),
    )


def refund_record(obj: Mapping[str, Any]) -> RefundRecord:
    """A refund as the refund query answers it (§2.8)."""
    return RefundRecord(
        out_refund_no=identifier(obj, "out_refund_no"),
        refund_id=identifier(obj, "refund_id"),
        refund_fee=amount(obj, "amount.refund"),
        status=refund_status(text(obj, "status")),
        success_time=optional_time(obj, "success_time"),
        channel=optional_text(obj, "channel"),
        recv_account=optional_text(obj, "user_received_account"),
    )
