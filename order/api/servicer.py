"""paystream.order.v1.OrderService over gRPC: translates messages, nothing else."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import grpc
from typing_extensions import override

from order.api.errors import HANDLED_ERRORS, abort
from order.api.service import CancelOutcome, CreateOrder, OrderService
from order.domain import FieldViolation, InvalidRequestError
from order.domain.refund_request import RefundRequest
from order.wire import order_message, refund_message
from paystream.order.v1 import order_pb2, order_pb2_grpc
from runtime.observations import from_timestamp

Context = grpc.aio.ServicerContext[Any, Any]

CANCEL_OUTCOMES = {
    CancelOutcome.CLOSED: order_pb2.CANCEL_OUTCOME_CLOSED,
    CancelOutcome.PAID: order_pb2.CANCEL_OUTCOME_PAID,
    CancelOutcome.ALREADY_FINAL: order_pb2.CANCEL_OUTCOME_ALREADY_FINAL,
}


class OrderServicer(order_pb2_grpc.OrderServiceServicer):
    def __init__(self, service: OrderService) -> None:
        self._service = service

    @override
    async def CreateOrder(
        self, request: order_pb2.CreateOrderRequest, context: Context
    ) -> order_pb2.CreateOrderResponse:
        try:
            order, created = await self._service.create(
                CreateOrder(
                    id=request.id,
                    total_fee=request.total_fee,
                    description=request.description,
                    attach=request.attach,
                    expire_time=_expire_time(request),
                )
            )
        except HANDLED_ERRORS as error:
            await abort(context, error)
        return order_pb2.CreateOrderResponse(order=order_message(order), created=created)

    @override
    async def GetOrder(
        self, request: order_pb2.GetOrderRequest, context: Context
    ) -> order_pb2.GetOrderResponse:
        try:
            order = await self._service.get(request.id)
        except HANDLED_ERRORS as error:
            await abort(context, error)
        return order_pb2.GetOrderResponse(order=order_message(order))

    @override
    async def CancelOrder(
        self, request: order_pb2.CancelOrderRequest, context: Context
    ) -> order_pb2.CancelOrderResponse:
        try:
            outcome, order = await self._service.cancel(request.id, context.time_remaining())
        except HANDLED_ERRORS as error:
            await abort(context, error)
        return order_pb2.CancelOrderResponse(
            outcome=CANCEL_OUTCOMES[outcome], order=order_message(order)
        )

    @override
    async def RefundOrder(
        self, request: order_pb2.RefundOrderRequest, context: Context
    ) -> order_pb2.RefundOrderResponse:
        try:
            refund, order = await self._service.refund(
                RefundRequest(
                    order_id=request.id,
                    out_refund_no=request.out_refund_no,
                    refund_fee=request.refund_fee,
                    reason=request.reason,
                ),
                context.time_remaining(),
            )
        except HANDLED_ERRORS as error:
            await abort(context, error)
        return order_pb2.RefundOrderResponse(
            refund=refund_message(refund), order=order_message(order)
        )


def _expire_time(request: order_pb2.CreateOrderRequest) -> datetime | None:
    """The requested expire time; a Timestamp outside protobuf's range is an invalid argument."""
    if not request.HasField("expire_time"):
        return None
    try:
        return from_timestamp(request.expire_time)
    except ValueError:
        raise InvalidRequestError(
            [FieldViolation("expire_time", "is not a valid timestamp")]
        ) from None
