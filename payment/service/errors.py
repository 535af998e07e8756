"""Every failure of a PaymentService call as a gRPC status, in one place (rich details:
google.rpc.ErrorInfo with WeChat's err_code, BadRequest for invalid fields, PaidTrade)."""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from payment.service.convert import trade_status_message
from payment.service.operations import (
    PaidOnCloseError,
    RefundConflictError,
    RefundRejectedError,
    RefundsUnknownError,
)
from payment.service.validation import Violations
from payment.wechatpay import errors as wx
from paystream.payment.v1 import payment_pb2

DOMAIN = "wechatpay"


@dataclass(frozen=True)
class Failure:
    code: grpc.StatusCode
    message: str
    details: list[Message] = field(default_factory=list)

    def status(self) -> grpc.Status:
        packed = []
        for detail in self.details:
            wrapper = any_pb2.Any()
            wrapper.Pack(detail)
            packed.append(wrapper)
        proto = status_pb2.Status(
            code=getattr(code_pb2, self.code.name), message=self.message, details=packed
        )
        return rpc_status.to_status(proto)


REFUNDS_UNKNOWN = "REFUNDS_UNKNOWN"
"""The order has refunds the request did not name (API v3): ask again naming them."""


def _error_info(reason: str, description: str) -> error_details_pb2.ErrorInfo:
    return error_details_pb2.ErrorInfo(
        reason=reason, domain=DOMAIN, metadata={"err_code_des": description[:200]}
    )


def _wechat(code: grpc.StatusCode, error: wx.WeChatPayError) -> Failure:
    return Failure(code, str(error), [_error_info(error.err_code, error.err_code_des)])


_BY_TYPE: list[tuple[type[wx.WeChatPayError], grpc.StatusCode]] = [
    (wx.DeadlineExceededError, grpc.StatusCode.DEADLINE_EXCEEDED),
    (wx.RetryableError, grpc.StatusCode.UNAVAILABLE),
    (wx.OrderNotFoundError, grpc.StatusCode.NOT_FOUND),
    (wx.RefundNotFoundError, grpc.StatusCode.NOT_FOUND),
    (wx.OutTradeNoReusedError, grpc.StatusCode.ALREADY_EXISTS),
    (wx.OrderPaidError, grpc.StatusCode.FAILED_PRECONDITION),
    (wx.OrderClosedError, grpc.StatusCode.FAILED_PRECONDITION),
    (wx.RefundRefusedError, grpc.StatusCode.FAILED_PRECONDITION),
    (wx.BillNotReadyError, grpc.StatusCode.FAILED_PRECONDITION),
    (wx.NoBillError, grpc.StatusCode.NOT_FOUND),
    (wx.BillDateRefusedError, grpc.StatusCode.INVALID_ARGUMENT),
    (wx.UnrecognisedError, grpc.StatusCode.UNKNOWN),
    (wx.WeChatPayError, grpc.StatusCode.INTERNAL),
]


def failure_for(error: Exception) -> Failure | None:
    """The status for a known failure; None for a bug (let it surface as UNKNOWN)."""
    if isinstance(error, Violations):
        bad = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=name, description=problem)
                for name, problem in error.items
            ]
        )
        return Failure(grpc.StatusCode.INVALID_ARGUMENT, str(error), [bad])
    if isinstance(error, PaidOnCloseError):
        paid = payment_pb2.PaidTrade(trade=trade_status_message(error.trade))
        return Failure(
            grpc.StatusCode.FAILED_PRECONDITION,
            str(error),
            [_error_info("ORDERPAID", "the order is paid and cannot be closed"), paid],
        )
    if isinstance(error, RefundsUnknownError):
        return Failure(
            grpc.StatusCode.FAILED_PRECONDITION,
            str(error),
            [_error_info(REFUNDS_UNKNOWN, str(error))],
        )
    if isinstance(error, RefundRejectedError):
        return Failure(
            grpc.StatusCode.FAILED_PRECONDITION,
            str(error),
            [_error_info("REFUND_NOT_ALLOWED", str(error))],
        )
    if isinstance(error, RefundConflictError):
        return Failure(
            grpc.StatusCode.ALREADY_EXISTS,
            str(error),
            [_error_info("OUT_REFUND_NO_USED", str(error))],
        )
    if isinstance(error, wx.WeChatPayError):
        for error_type, code in _BY_TYPE:
            if isinstance(error, error_type):
                return _wechat(code, error)
    return None
