"""The shop's side of a payment, as a client of our gRPC services: create the order
(OrderService), get its WeChat Pay QR code (PaymentService.CreateNative), read its status.

CreateNative is idempotent for the same parameters, so the cashier page asks for the code each
time it is shown, with the order's own amount, description and expire time: the shop keeps no
state of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import grpc

from paystream.order.v1 import order_pb2, order_pb2_grpc
from paystream.payment.v1 import payment_pb2, payment_pb2_grpc
from runtime.grpc_tls import TlsFiles, channel

SVG = "image/svg+xml"

STATUS_LABELS = {
    order_pb2.ORDER_STATUS_PENDING: "Waiting for payment",
    order_pb2.ORDER_STATUS_PAID: "Paid",
    order_pb2.ORDER_STATUS_CLOSED: "Closed",
    order_pb2.ORDER_STATUS_REFUNDED: "Refunded",
    order_pb2.ORDER_STATUS_PARTIALLY_REFUNDED: "Partially refunded",
}

# What a cashier should read for a failed call, by gRPC status (HTTP status, text).
_FAILURES = {
    grpc.StatusCode.INVALID_ARGUMENT: (400, "The order was refused: {details}"),
    grpc.StatusCode.NOT_FOUND: (404, "There is no such order."),
    grpc.StatusCode.ALREADY_EXISTS: (409, "This order exists with another amount."),
    grpc.StatusCode.FAILED_PRECONDITION: (409, "WeChat Pay refused: {details}"),
    grpc.StatusCode.UNAVAILABLE: (503, "The payment system is unavailable; try again."),
    grpc.StatusCode.DEADLINE_EXCEEDED: (503, "The payment system did not answer in time."),
}


class CheckoutError(Exception):
    """A call failed; ``message`` is meant for the cashier, ``http_status`` for the answer."""

    def __init__(self, http_status: int, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.message = message


@dataclass(frozen=True)
class OrderView:
    id: str
    total_fee: int
    description: str
    status: str
    """OrderStatus name without its prefix: PENDING, PAID, CLOSED…"""
    label: str
    expire_time: datetime

    @property
    def payable(self) -> bool:
        return self.status == "PENDING"

    @property
    def final(self) -> bool:
        return not self.payable


@dataclass(frozen=True)
class PaymentCode:
    code_url: str
    svg: str


def _view(order: order_pb2.Order) -> OrderView:
    return OrderView(
        id=order.id,
        total_fee=order.total_fee,
        description=order.description,
        status=order_pb2.OrderStatus.Name(order.status).removeprefix("ORDER_STATUS_"),
        label=STATUS_LABELS.get(order.status, "Unknown"),
        expire_time=order.expire_time.ToDatetime(tzinfo=UTC),
    )


def _failure(error: grpc.aio.AioRpcError) -> CheckoutError:
    http_status, text = _FAILURES.get(error.code(), (502, "The payment system failed: {details}"))
    return CheckoutError(http_status, text.format(details=error.details() or error.code().name))


class Checkout:
    """Opens its channels in :meth:`open` (inside the running event loop), never at creation."""

    def __init__(
        self,
        order_target: str,
        payment_target: str,
        timeout: float,
        tls: TlsFiles | None = None,
    ) -> None:
        self._targets = (order_target, payment_target)
        self._timeout = timeout
        self._tls = tls
        self._channels: list[grpc.aio.Channel] = []
        self._orders: order_pb2_grpc.OrderServiceAsyncStub | None = None
        self._payments: payment_pb2_grpc.PaymentServiceAsyncStub | None = None

    async def open(self) -> None:
        self._channels = [channel(target, self._tls) for target in self._targets]
        self._orders = order_pb2_grpc.OrderServiceStub(self._channels[0])
        self._payments = payment_pb2_grpc.PaymentServiceStub(self._channels[1])

    async def close(self) -> None:
        for opened in self._channels:
            await opened.close(None)

    @property
    def _order_stub(self) -> order_pb2_grpc.OrderServiceAsyncStub:
        if self._orders is None:
            raise RuntimeError("Checkout.open() was not called")
        return self._orders

    @property
    def _payment_stub(self) -> payment_pb2_grpc.PaymentServiceAsyncStub:
        if self._payments is None:
            raise RuntimeError("Checkout.open() was not called")
        return self._payments

    async def create_order(self, total_fee: int, description: str) -> OrderView:
        request = order_pb2.CreateOrderRequest(total_fee=total_fee, description=description)
        try:
            answer = await self._order_stub.CreateOrder(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            raise _failure(error) from error
        return _view(answer.order)

    async def order(self, order_id: str) -> OrderView:
        request = order_pb2.GetOrderRequest(id=order_id)
        try:
            answer = await self._order_stub.GetOrder(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            raise _failure(error) from error
        return _view(answer.order)

    async def payment_code(self, order: OrderView) -> PaymentCode:
        """The order's QR code: places the order at WeChat, or gets the same code again."""
        request = payment_pb2.CreateNativeRequest(
            out_trade_no=order.id,
            total_fee=order.total_fee,
            description=order.description,
            qr_format=payment_pb2.QR_FORMAT_SVG,
        )
        request.expire_time.FromDatetime(order.expire_time)
        try:
            answer = await self._payment_stub.CreateNative(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            raise _failure(error) from error
        svg = answer.qr_image.decode("utf-8", "replace")
        if answer.qr_media_type != SVG or not svg.lstrip().startswith("<svg"):
            raise CheckoutError(502, "The payment service sent no SVG QR code.")
        return PaymentCode(code_url=answer.code_url, svg=svg)
