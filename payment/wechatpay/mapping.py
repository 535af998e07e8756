"""WeChat's v2 strings → our types: fen integers, Beijing times → aware UTC, states → enums.

This is the one place that knows WeChat's field names for business data (reference §1.3-§1.9).
A field that breaks the documented format raises :class:`MappingError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

from payment.wechatpay.constants import BEIJING, COMPACT_TIME_FORMAT, REFUND_TIME_FORMAT
from payment.wechatpay.types import (
    RefundQueryResult,
    RefundRecord,
    RefundResult,
    RefundStatus,
    TradeState,
    TradeStatus,
)

__all__ = [
    "MappingError",
    "beijing_compact",
    "fen",
    "optional_fen",
    "parse_beijing_compact",
    "parse_refund_time",
    "refund_query_result",
    "refund_result",
    "refund_status",
    "required",
    "trade_state",
    "trade_status",
]

_FEN = re.compile(r"(0|[1-9][0-9]{0,15})\Z")
_COMPACT = re.compile(r"[0-9]{14}\Z")


class MappingError(ValueError):
    """A field that does not have the documented format."""


def required(fields: Mapping[str, str], name: str) -> str:
    value = fields.get(name, "")
    if not value:
        raise MappingError(f"field {name!r} is missing")
    return value


def fen(value: str, name: str = "amount") -> int:
    """An amount in fen: a plain non-negative integer, no sign, no decimals (reference §3)."""
    if not _FEN.match(value):
        raise MappingError(f"{name} {value[:24]!r} is not an integer number of fen")
    return int(value)


def optional_fen(fields: Mapping[str, str], name: str) -> int | None:
    value = fields.get(name, "")
    return fen(value, name) if value else None


def parse_beijing_compact(value: str) -> datetime:
    """``yyyyMMddHHmmss`` in Beijing time (UTC+8) → an aware UTC datetime."""
    if not _COMPACT.match(value):
        raise MappingError(f"time {value[:24]!r} is not yyyyMMddHHmmss")
    try:
        # By field, not strptime: seven times faster, on the notify gateway's hot path.
        local = datetime(
            int(value[0:4]),
            int(value[4:6]),
            int(value[6:8]),
            int(value[8:10]),
            int(value[10:12]),
            int(value[12:14]),
            tzinfo=BEIJING,
        )
        # 0001-01-01 before 08:00 Beijing time is before year 1 in UTC: OverflowError.
        return local.astimezone(UTC)
    except (ValueError, OverflowError):
        raise MappingError(f"time {value!r} is not a date") from None


def beijing_compact(moment: datetime) -> str:
    """An aware datetime → ``yyyyMMddHHmmss`` in Beijing time (seconds truncated)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no time zone; pass an aware one")
    return moment.astimezone(BEIJING).strftime(COMPACT_TIME_FORMAT)


def parse_refund_time(value: str) -> datetime:
    """``yyyy-MM-dd HH:mm:ss`` in Beijing time (refund_success_time) → an aware UTC datetime."""
    try:
        local = datetime.strptime(value, REFUND_TIME_FORMAT).replace(tzinfo=BEIJING)
        return local.astimezone(UTC)
    except (ValueError, OverflowError):
        raise MappingError(f"time {value[:24]!r} is not yyyy-MM-dd HH:mm:ss") from None


def _optional_time(fields: Mapping[str, str], name: str) -> datetime | None:
    value = fields.get(name, "")
    return parse_beijing_compact(value) if value else None


def trade_state(value: str) -> TradeState:
    try:
        return TradeState(value)
    except ValueError:
        raise MappingError(f"unknown trade_state {value[:32]!r}") from None


def refund_status(value: str) -> RefundStatus:
    try:
        return RefundStatus(value)
    except ValueError:
        raise MappingError(f"unknown refund_status {value[:32]!r}") from None


def trade_status(fields: Mapping[str, str]) -> TradeStatus:
    """An ``orderquery`` answer (§1.4). Unpaid orders carry only out_trade_no, attach, state."""
    return TradeStatus(
        out_trade_no=required(fields, "out_trade_no"),
        trade_state=trade_state(required(fields, "trade_state")),
        trade_state_desc=fields.get("trade_state_desc", ""),
        transaction_id=fields.get("transaction_id") or None,
        total_fee=optional_fen(fields, "total_fee"),
        cash_fee=optional_fen(fields, "cash_fee"),
        success_time=_optional_time(fields, "time_end"),
        attach=fields.get("attach") or None,
        trade_type=fields.get("trade_type") or None,
        bank_type=fields.get("bank_type") or None,
        openid=fields.get("openid") or None,
        currency=fields.get("fee_type") or None,
        cash_currency=fields.get("cash_fee_type") or None,
    )


def refund_result(fields: Mapping[str, str]) -> RefundResult:
    """A ``refund`` answer (§1.6)."""
    return RefundResult(
        out_trade_no=required(fields, "out_trade_no"),
        out_refund_no=required(fields, "out_refund_no"),
        refund_id=required(fields, "refund_id"),
        transaction_id=required(fields, "transaction_id"),
        refund_fee=fen(required(fields, "refund_fee"), "refund_fee"),
        total_fee=fen(required(fields, "total_fee"), "total_fee"),
        cash_fee=optional_fen(fields, "cash_fee"),
    )


def refund_query_result(fields: Mapping[str, str]) -> RefundQueryResult:
    """A ``refundquery`` answer (§1.7): ``refund_count`` refunds in ``*_$n`` fields."""
    count = fen(required(fields, "refund_count"), "refund_count")
    records = []
    for n in range(count):
        success = fields.get(f"refund_success_time_{n}", "")
        records.append(
            RefundRecord(
                out_refund_no=required(fields, f"out_refund_no_{n}"),
                refund_id=required(fields, f"refund_id_{n}"),
                refund_fee=fen(required(fields, f"refund_fee_{n}"), f"refund_fee_{n}"),
                status=refund_status(required(fields, f"refund_status_{n}")),
                success_time=parse_refund_time(success) if success else None,
                channel=fields.get(f"refund_channel_{n}") or None,
                recv_account=fields.get(f"refund_recv_accout_{n}") or None,  # sic: WeChat's name
            )
        )
    return RefundQueryResult(
        out_trade_no=required(fields, "out_trade_no"),
        transaction_id=required(fields, "transaction_id"),
        total_fee=fen(required(fields, "total_fee"), "total_fee"),
        refunds=tuple(records),
        cash_fee=optional_fen(fields, "cash_fee"),
    )
