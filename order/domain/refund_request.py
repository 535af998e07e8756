"""The rules a refund request must meet before anything is reserved or sent (WeChat's limits)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from order.domain.model import Order, Refund, RefundStatus
from order.domain.new_order import NOT_XML_TEXT, FieldViolation, is_valid_order_id

OUT_REFUND_NO = re.compile(r"[0-9A-Za-z_\-|*@]{1,64}")
"""WeChat's out_refund_no: 1 to 64 of [0-9A-Za-z_-|*@]."""
MAX_REASON_CHARS = 80
MAX_REFUNDS = 50
"""WeChat refunds one order at most 50 times."""
REFUNDABLE_STATUSES = ("PAID", "PARTIALLY_REFUNDED")


@dataclass(frozen=True, slots=True)
class RefundRequest:
    order_id: str
    out_refund_no: str
    refund_fee: int
    reason: str = ""


def refund_violations(request: RefundRequest) -> list[FieldViolation]:
    found: list[FieldViolation] = []
    if not is_valid_order_id(request.order_id):
        found.append(FieldViolation("id", "must be 6 to 32 of [0-9A-Za-z_-|*]"))
    if not OUT_REFUND_NO.fullmatch(request.out_refund_no):
        found.append(FieldViolation("out_refund_no", "must be 1 to 64 of [0-9A-Za-z_-|*@]"))
    if request.refund_fee < 1:
        found.append(FieldViolation("refund_fee", "must be at least 1 fen"))
    if len(request.reason) > MAX_REASON_CHARS:
        found.append(FieldViolation("reason", f"must be at most {MAX_REASON_CHARS} characters"))
    elif NOT_XML_TEXT.search(request.reason):
        found.append(FieldViolation("reason", "must not hold control characters"))
    return found


def committed_fee(refunds: list[Refund]) -> int:
    """What the order's refunds hold of its money: every refund but a CLOSED one (a refund in
    progress may still succeed, so it counts until WeChat says otherwise)."""
    return sum(r.refund_fee for r in refunds if r.status is not RefundStatus.CLOSED)


def refund_refusal(order: Order, refunds: list[Refund], request: RefundRequest) -> str | None:
    """Why the order cannot take this new refund now, or None."""
    if order.status.value not in REFUNDABLE_STATUSES:
        return f"order {order.id} is {order.status.value}, not paid"
    if len(refunds) >= MAX_REFUNDS:
        return f"order {order.id} has {len(refunds)} refunds, WeChat's limit"
    left = order.total_fee - committed_fee(refunds)
    if request.refund_fee > left:
        return f"refund_fee {request.refund_fee} exceeds the {left} fen still refundable"
    return None
