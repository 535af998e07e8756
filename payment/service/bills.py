"""DownloadTradeBill's request read and its bill written as the contract's messages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from payment.proto_mapping import refund_status_to_proto
from payment.service.validation import Violations
from payment.wechatpay.bills import BillLine, BillType, TradeBill
from payment.wechatpay.types import RefundStatus
from paystream.payment.v1 import payment_pb2, types_pb2
from runtime.observations import timestamp

__all__ = ["LINES_PER_MESSAGE", "bill_messages", "bill_request"]

LINES_PER_MESSAGE = 1000
"""About 300 KB a message: far below gRPC's 4 MB default."""
_DATE = re.compile(r"\d{4}-\d\d-\d\d\Z")
_BILL_TYPES = {
    payment_pb2.BILL_TYPE_UNSPECIFIED: BillType.ALL,
    payment_pb2.BILL_TYPE_ALL: BillType.ALL,
    payment_pb2.BILL_TYPE_SUCCESS: BillType.SUCCESS,
    payment_pb2.BILL_TYPE_REFUND: BillType.REFUND,
}
_LINE_TYPES = {
    "SUCCESS": payment_pb2.BILL_LINE_TYPE_PAYMENT,
    "REFUND": payment_pb2.BILL_LINE_TYPE_REFUND,
    "REVOKED": payment_pb2.BILL_LINE_TYPE_REVOKED,
}


def bill_request(request: payment_pb2.DownloadTradeBillRequest) -> tuple[date, BillType]:
    problems = Violations()
    day: date | None = None
    if not _DATE.match(request.bill_date):
        problems.add("bill_date", "must be a day as YYYY-MM-DD")
    else:
        try:
            day = date.fromisoformat(request.bill_date)
        except ValueError:
            problems.add("bill_date", "no such day")
    bill_type = _BILL_TYPES.get(request.bill_type)
    if bill_type is None:
        problems.add("bill_type", "unknown bill type")
    problems.raise_if_any()
    assert day is not None
    assert bill_type is not None
    return day, bill_type


def _refund_status(text: str) -> types_pb2.RefundStatus.ValueType:
    try:
        return refund_status_to_proto(RefundStatus(text))
    except (ValueError, KeyError):
        return types_pb2.REFUND_STATUS_UNSPECIFIED


def _line(line: BillLine) -> payment_pb2.TradeBillLine:
    line_type = _LINE_TYPES.get(line.line_type, payment_pb2.BILL_LINE_TYPE_UNSPECIFIED)
    refund = line_type == payment_pb2.BILL_LINE_TYPE_REFUND
    return payment_pb2.TradeBillLine(
        trade_time=timestamp(line.trade_time),
        line_type=line_type,
        out_trade_no=line.out_trade_no,
        transaction_id=line.transaction_id,
        out_refund_no=line.out_refund_no if refund else "",
        refund_id=line.refund_id if refund else "",
        refund_status=(
            _refund_status(line.refund_status) if refund else types_pb2.REFUND_STATUS_UNSPECIFIED
        ),
        appid=line.appid,
        mch_id=line.mch_id,
        sub_mch_id=line.sub_mch_id,
        trade_type=line.trade_type,
        bank_type=line.bank_type,
        currency=line.currency,
        order_total_fee=line.order_total_fen,
        settlement_total_fee=line.settlement_total_fen,
        coupon_fee=line.coupon_fen,
        refund_fee=line.refund_fen,
        refund_requested_fee=line.refund_requested_fen,
        fee=line.fee_fen,
        fee_rate=line.rate,
        description=line.body,
        attach=line.attach,
        raw_line_type=line.line_type,
    )


def bill_messages(
    bill: TradeBill, per_message: int = LINES_PER_MESSAGE
) -> Iterator[payment_pb2.DownloadTradeBillResponse]:
    """The summary with the first lines, then the rest in batches (one message if empty)."""
    totals = bill.totals
    summary = payment_pb2.TradeBillSummary(
        line_count=totals.lines,
        settlement_total_fee=totals.settlement_total_fen,
        refund_fee=totals.refund_fen,
        fee=totals.fee_fen,
        order_total_fee=totals.order_total_fen,
        refund_requested_fee=totals.refund_requested_fen,
        sha1=bill.sha1,
    )
    first = [_line(line) for line in bill.lines[:per_message]]
    yield payment_pb2.DownloadTradeBillResponse(summary=summary, lines=first)
    for start in range(per_message, len(bill.lines), per_message):
        batch = bill.lines[start : start + per_message]
        yield payment_pb2.DownloadTradeBillResponse(lines=[_line(line) for line in batch])
