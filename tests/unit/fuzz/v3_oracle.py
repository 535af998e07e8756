"""The documented v3 formats written out again, for the fuzz tests' oracle (reference §2.1,
§2.6, §2.8, §2.9): what a transaction or refund resource must be for a record (or a query
result) to come out of it. Independent of payment.wechatpay_v3: standard-library checks only."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

TRADE_STATES = {
    "SUCCESS",
    "REFUND",
    "NOTPAY",
    "CLOSED",
    "REVOKED",
    "USERPAYING",
    "PAYERROR",
    "ACCEPT",
}
REFUND_STATUSES = {"SUCCESS", "PROCESSING", "CLOSED", "ABNORMAL"}
_ID = re.compile(r"[!-~]{1,64}\Z")
_CURRENCY = re.compile(r"[A-Z]{3}\Z")
_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})\Z"
)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MISSING = object()


def plain_json(raw: bytes) -> Any:
    """The document, or _MISSING when it is not strict UTF-8 JSON (NaN, a key twice, a lone
    surrogate, deeper than 16)."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({k for k, _ in items}) != len(items):
            raise ValueError("a key twice")
        return dict(items)

    def constant(name: str) -> Any:
        raise ValueError(name)

    try:
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=pairs, parse_constant=constant)
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # a lone surrogate raises
    except (ValueError, RecursionError):
        return _MISSING
    return value if _depth(value) <= 16 else _MISSING


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _get(obj: Any, path: str) -> Any:
    """The value at a.b, None when absent; _MISSING when something in the way is no object."""
    for part in path.split("."):
        if obj is None:
            return None
        if not isinstance(obj, dict):
            return _MISSING
        obj = obj.get(part)
    return obj


def _fen(value: Any) -> bool:
    return type(value) is int and 0 <= value < 10**16


def _id(value: Any) -> bool:
    return isinstance(value, str) and bool(_ID.match(value))


def _text(value: Any) -> bool:
    return isinstance(value, str) and not _CONTROL.search(value)


def _time(value: Any) -> bool:
    if not isinstance(value, str) or not _TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError):
        return False
    return True


def _optional(obj: Any, path: str, kind: Any, empty_is_absent: bool = True) -> bool:
    value = _get(obj, path)
    if value is _MISSING:
        return False
    if value is None or (empty_is_absent and value == ""):
        return True
    return bool(kind(value))


def _required(obj: Any, path: str, kind: Any) -> bool:
    value = _get(obj, path)
    return value not in (None, "", _MISSING) and bool(kind(value))


def _currency(value: Any) -> bool:
    return isinstance(value, str) and bool(_CURRENCY.match(value))


def _trade(obj: Any, *, notify: bool) -> bool:
    """The notify needs amount.total always and reads no success_time unless paid, nor
    trade_state_desc; a query answer needs amount.total when paid."""
    state = _get(obj, "trade_state")
    if not (isinstance(state, str) and state in TRADE_STATES):
        return False
    paid = state == "SUCCESS"
    checks = [
        _required(obj, "out_trade_no", _id),
        (_required if paid else _optional)(obj, "transaction_id", _id),
        _optional(obj, "attach", _text),
        _optional(obj, "trade_type", _text),
        _optional(obj, "bank_type", _text),
        _optional(obj, "payer.openid", _text),
        _optional(obj, "amount.payer_total", _fen, empty_is_absent=False),
        _optional(obj, "amount.currency", _currency, empty_is_absent=False),
        _optional(obj, "amount.payer_currency", _currency, empty_is_absent=False),
    ]
    if paid:
        checks.append(_required(obj, "success_time", _time))
    elif not notify:
        checks.append(_optional(obj, "success_time", _time))
    if not notify:
        checks.append(_optional(obj, "trade_state_desc", _text))
    if notify or paid:
        checks.append(_get(obj, "amount.total") is not None and _fen(_get(obj, "amount.total")))
    else:
        checks.append(_optional(obj, "amount.total", _fen, empty_is_absent=False))
    return all(checks)


def payment_notify_is_valid(resource: Any) -> bool:
    """A TRANSACTION.SUCCESS resource a record may come from (its merchant is ours)."""
    return isinstance(resource, dict) and _trade(resource, notify=True)


def query_answer_is_valid(answer: Any) -> bool:
    """A query answer the client may return."""
    return isinstance(answer, dict) and _trade(answer, notify=False)


def refund_notify_is_valid(resource: Any) -> bool:
    if not isinstance(resource, dict):
        return False
    status = _get(resource, "refund_status")
    return (
        isinstance(status, str)
        and status in REFUND_STATUSES
        and all(_required(resource, name, _id) for name in ("out_trade_no", "out_refund_no"))
        and all(_required(resource, name, _id) for name in ("refund_id", "transaction_id"))
        and _get(resource, "amount.total") is not None
        and _fen(_get(resource, "amount.total"))
        and _get(resource, "amount.refund") is not None
        and _fen(_get(resource, "amount.refund"))
        and _optional(resource, "success_time", _time)
        and _optional(resource, "amount.settlement_refund", _fen, empty_is_absent=False)
        and _optional(resource, "user_received_account", _text)
    )
