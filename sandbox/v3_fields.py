"""v3 JSON in and out of the shared rules (reference §2.5, §2.6, §2.8, §2.9).

In: a Native order's JSON → :class:`sandbox.trades.OrderRequest`; a refund's JSON → the field
names :meth:`sandbox.refunds.Refunds.refund` reads. Out: an order as the query answer and the
``TRANSACTION.SUCCESS`` resource show it; a refund as the refund API, its query and the
``REFUND.*`` resource show it. Problems are ``PARAM_ERROR`` (v3 reports field problems so).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from payment.wechatpay import constants as v2
from payment.wechatpay.types import RefundStatus
from payment.wechatpay_v3 import constants as c
from sandbox import validation as v
from sandbox.failures import BusinessFailError
from sandbox.formats import FormatError, flatten, parse_rfc3339, rfc3339
from sandbox.refunds import RECV_ACCOUNT
from sandbox.store import ApiVersion, Order, Refund
from sandbox.trades import STATE_DESC, OrderRequest
from sandbox.v3_platform import V3Merchant

__all__ = ["order_request", "refund_json", "refund_request", "refund_resource", "transaction"]

_V3_REFUND_STATUS = {
    RefundStatus.SUCCESS: "SUCCESS",
    RefundStatus.PROCESSING: "PROCESSING",
    RefundStatus.REFUNDCLOSE: "CLOSED",
    RefundStatus.CHANGE: "ABNORMAL",
}


def _param_error(message: str) -> BusinessFailError:
    return BusinessFailError(v2.PARAM_ERROR, message)


def _object(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _param_error(f"{name}应为JSON对象")
    return value


def _text(body: Mapping[str, Any], name: str, *, required: bool = True, max_bytes: int = 0) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise _param_error(f"缺少参数{name}或其类型有误")
    if max_bytes and len(value.encode()) > max_bytes:
        raise _param_error(f"{name}参数长度有误：最多{max_bytes}字节")
    return value


def _fen(amount: Mapping[str, Any], name: str) -> int:
    value = amount.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _param_error(f"amount.{name}应为正整数（单位：分）")
    return value


def _currency(amount: Mapping[str, Any], *, required: bool) -> None:
    currency = amount.get("currency", None if required else c.CURRENCY_CNY)
    if currency != c.CURRENCY_CNY:
        raise _param_error("amount.currency参数错误：只支持CNY")


def _time(body: Mapping[str, Any], name: str) -> datetime | None:
    value = _text(body, name, required=False)
    if not value:
        return None
    try:
        return parse_rfc3339(value)
    except FormatError:
        raise _param_error(f"{name}时间格式错误：须为RFC3339格式") from None


def order_request(body: Any, merchant: V3Merchant) -> OrderRequest:
    """A ``POST /v3/pay/transactions/native`` body, checked (§2.5)."""
    body = _object(body, "请求体")
    if _text(body, "mchid") != merchant.mch_id:
        raise _param_error("mchid与请求的商户号不一致")
    if _text(body, "appid") != merchant.appid:
        raise BusinessFailError("APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
    out_trade_no = _text(body, "out_trade_no")
    v.check_out_trade_no(out_trade_no)
    notify_url = _text(body, "notify_url", max_bytes=256)
    v.check_notify_url(notify_url)
    amount = _object(body.get("amount"), "amount")
    _currency(amount, required=False)
    return OrderRequest(
        out_trade_no=out_trade_no,
        params=flatten(body),
        total_fee=_fen(amount, "total"),
        body=_text(body, "description", max_bytes=127),
        attach=_text(body, "attach", required=False, max_bytes=128),
        notify_url=notify_url,
        time_expire=_time(body, "time_expire"),
        api_version=ApiVersion.V3,
    )


def refund_request(body: Any) -> dict[str, str]:
    """A ``POST /v3/refund/domestic/refunds`` body (§2.8), in the shared rules' field names."""
    body = _object(body, "请求体")
    amount = _object(body.get("amount"), "amount")
    _currency(amount, required=True)
    fields = {
        "out_trade_no": _text(body, "out_trade_no", required=False),
        "transaction_id": _text(body, "transaction_id", required=False),
        "out_refund_no": _text(body, "out_refund_no"),
        "total_fee": str(_fen(amount, "total")),
        "refund_fee": str(_fen(amount, "refund")),
        "refund_desc": _text(body, "reason", required=False, max_bytes=80),
        "notify_url": _text(body, "notify_url", required=False, max_bytes=256),
    }
    if not fields["out_trade_no"] and not fields["transaction_id"]:
        raise _param_error("缺少参数out_trade_no或transaction_id")
    if fields["notify_url"]:
        v.check_notify_url(fields["notify_url"])
    return fields


def transaction(order: Order, merchant: V3Merchant) -> dict[str, Any]:
    """An order as the query answers it and a TRANSACTION.SUCCESS resource carries it (§2.6):
    an unpaid order carries its state and its ``amount`` (``total``, ``currency``), a paid one
    also what the payer paid (Corrections)."""
    answer: dict[str, Any] = {
        "appid": merchant.appid,
        "mchid": merchant.mch_id,
        "out_trade_no": order.out_trade_no,
        "trade_state": order.state.value,
        "trade_state_desc": STATE_DESC.get(order.state, ""),
        "attach": order.attach,
        "amount": {"total": order.total_fee, "currency": c.CURRENCY_CNY},
    }
    if order.paid and order.transaction_id and order.time_end:
        answer |= {
            "transaction_id": order.transaction_id,
            "trade_type": v2.TRADE_TYPE_NATIVE,
            "bank_type": order.bank_type,
            "success_time": rfc3339(order.time_end),
            "payer": {"openid": order.openid or ""},
            "amount": {
                "total": order.total_fee,
                "payer_total": order.total_fee,
                "currency": c.CURRENCY_CNY,
                "payer_currency": c.CURRENCY_CNY,
            },
        }
    return answer


def refund_json(refund: Refund) -> dict[str, Any]:
    """A refund as the refund API and its query answer it (§2.8)."""
    answer: dict[str, Any] = {
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
        "transaction_id": refund.transaction_id,
        "out_trade_no": refund.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": RECV_ACCOUNT,
        "create_time": rfc3339(refund.created_at),
        "status": _V3_REFUND_STATUS[refund.status],
        "funds_account": "AVAILABLE",
        "amount": {
            "total": refund.total_fee,
            "refund": refund.refund_fee,
            "payer_total": refund.total_fee,
            "payer_refund": refund.refund_fee,
            "settlement_refund": refund.refund_fee,
            "settlement_total": refund.total_fee,
            "discount_refund": 0,
            "currency": c.CURRENCY_CNY,
        },
    }
    if refund.success_time is not None:
        answer["success_time"] = rfc3339(refund.success_time)
    return answer


def refund_resource(refund: Refund, merchant: V3Merchant) -> dict[str, Any]:
    """A REFUND.* notify's resource (§2.8)."""
    resource: dict[str, Any] = {
        "mchid": merchant.mch_id,
        "out_trade_no": refund.out_trade_no,
        "transaction_id": refund.transaction_id,
        "out_refund_no": refund.out_refund_no,
        "refund_id": refund.refund_id,
        "refund_status": _V3_REFUND_STATUS[refund.status],
        "user_received_account": RECV_ACCOUNT,
        "amount": {
            "total": refund.total_fee,
            "refund": refund.refund_fee,
            "payer_total": refund.total_fee,
            "payer_refund": refund.refund_fee,
        },
    }
    if refund.success_time is not None:
        resource["success_time"] = rfc3339(refund.success_time)
    return resource
