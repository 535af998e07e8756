"""Our WeChat Pay types as the contract's messages (the servicer only translates)."""

from __future__ import annotations

from payment.proto_mapping import refund_status_to_proto, trade_state_to_proto
from payment.wechatpay.types import (
    NativeOrder,
    RefundQueryResult,
    RefundRecord,
    RefundResult,
    RefundStatus,
    TradeStatus,
)
from paystream.payment.v1 import payment_pb2, types_pb2
from runtime.observations import timestamp


def trade_status_message(trade: TradeStatus) -> payment_pb2.QueryStatusResponse:
    return payment_pb2.QueryStatusResponse(
        out_trade_no=trade.out_trade_no,
        trade_state=trade_state_to_proto(trade.trade_state),
        trade_state_desc=trade.trade_state_desc,
        transaction_id=trade.transaction_id or "",
        total_fee=trade.total_fee or 0,
        cash_fee=trade.cash_fee or 0,
        success_time=timestamp(trade.success_time),
        attach=trade.attach or "",
        trade_type=trade.trade_type or "",
        bank_type=trade.bank_type or "",
        currency=trade.currency or "",
        cash_currency=trade.cash_currency or "",
    )


def native_message(
    order: NativeOrder, qr_image: bytes, qr_media_type: str
) -> payment_pb2.CreateNativeResponse:
    return payment_pb2.CreateNativeResponse(
        code_url=order.code_url,
        prepay_id=order.prepay_id,
        code_url_expire_time=timestamp(order.expires_at),
        qr_image=qr_image,
        qr_media_type=qr_media_type,
    )


def refund_info(
    refund: RefundResult | RefundRecord, out_trade_no: str, transaction_id: str, total_fee: int
) -> payment_pb2.RefundInfo:
    if isinstance(refund, RefundResult):
        return payment_pb2.RefundInfo(
            out_trade_no=refund.out_trade_no,
            out_refund_no=refund.out_refund_no,
            refund_id=refund.refund_id,
            transaction_id=refund.transaction_id,
            refund_fee=refund.refund_fee,
            total_fee=refund.total_fee,
            status=types_pb2.REFUND_STATUS_PROCESSING,
        )
    return payment_pb2.RefundInfo(
        out_trade_no=out_trade_no,
        out_refund_no=refund.out_refund_no,
        refund_id=refund.refund_id,
        transaction_id=transaction_id,
        refund_fee=refund.refund_fee,
        total_fee=total_fee,
        status=refund_status_to_proto(refund.status),
        success_time=timestamp(refund.success_time),
    )


def refunds_message(result: RefundQueryResult) -> payment_pb2.QueryRefundResponse:
    return payment_pb2.QueryRefundResponse(
        refunds=[
            refund_info(r, result.out_trade_no, result.transaction_id, result.total_fee)
            for r in result.refunds
        ],
        refunded_fee=sum(
            r.refund_fee for r in result.refunds if r.status is not RefundStatus.REFUNDCLOSE
        ),
    )
