"""How CancelOrder reads PaymentService.CloseOrder's answers (the error contract in
payment.proto), against a stub that answers without a network."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc.aio import AioRpcError, Metadata

from order.domain import PaymentUnavailableError
from order.payments import ClosedAtWeChat, PaidAtWeChat, Payments
from paystream.payment.v1 import payment_pb2, types_pb2

TRADE = payment_pb2.QueryStatusResponse(
    out_trade_no="order-0001",
    trade_state=types_pb2.TRADE_STATE_SUCCESS,
    transaction_id="4200-1",
    total_fee=1000,
)


def _error(code: grpc.StatusCode, *details: Any) -> AioRpcError:
    packed = []
    for detail in details:
        holder = any_pb2.Any()
        holder.Pack(detail)
        packed.append(holder)
    status = status_pb2.Status(code=code.value[0], message="wechat says no", details=packed)
    return AioRpcError(
        code,
        Metadata(),
        Metadata(("grpc-status-details-bin", status.SerializeToString())),
        details="wechat says no",
        debug_error_string="",
    )


def _info(reason: str) -> error_details_pb2.ErrorInfo:
    return error_details_pb2.ErrorInfo(domain="wechatpay", reason=reason)


class Stub:
    def __init__(self, close: AioRpcError | None, query: payment_pb2.QueryStatusResponse) -> None:
        self.close, self.query, self.queried = close, query, 0

    async def CloseOrder(self, request: object, timeout: float) -> payment_pb2.CloseOrderResponse:
        if self.close is not None:
            raise self.close
        return payment_pb2.CloseOrderResponse()

    async def QueryStatus(self, request: object, timeout: float) -> payment_pb2.QueryStatusResponse:
        self.queried += 1
        return self.query


async def _close(stub: Stub) -> ClosedAtWeChat | PaidAtWeChat:
    return await Payments(stub).close("order-0001", timeout=1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error",
    [
        None,
        _error(grpc.StatusCode.NOT_FOUND, _info("ORDERNOTEXIST")),
        _error(grpc.StatusCode.FAILED_PRECONDITION, _info("ORDERCLOSED")),
    ],
    ids=["closed-now", "never-created", "closed-before"],
)
async def test_wechat_answers_that_mean_it_can_no_longer_be_paid(error: AioRpcError | None) -> None:
    assert await _close(Stub(error, TRADE)) == ClosedAtWeChat()


async def test_paid_with_the_trade_attached_is_paid_with_that_trade() -> None:
    error = _error(
        grpc.StatusCode.FAILED_PRECONDITION, payment_pb2.PaidTrade(trade=TRADE), _info("ORDERPAID")
    )
    stub = Stub(error, payment_pb2.QueryStatusResponse())
    assert await _close(stub) == PaidAtWeChat(TRADE)
    assert stub.queried == 0


async def test_paid_without_the_trade_asks_wechat_for_it() -> None:
    stub = Stub(_error(grpc.StatusCode.FAILED_PRECONDITION, _info("ORDERPAID")), TRADE)
    assert await _close(stub) == PaidAtWeChat(TRADE)
    assert stub.queried == 1


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (_error(grpc.StatusCode.UNAVAILABLE), True),
        (_error(grpc.StatusCode.DEADLINE_EXCEEDED), True),
        (_error(grpc.StatusCode.FAILED_PRECONDITION, _info("SOMETHINGELSE")), False),
    ],
)
async def test_anything_else_reports_nothing_and_says_whether_to_call_again(
    error: AioRpcError, retryable: bool
) -> None:
    with pytest.raises(PaymentUnavailableError) as failed:
        await _close(Stub(error, TRADE))
    assert failed.value.retryable is retryable
