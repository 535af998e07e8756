"""The gRPC scaffolding: health, reflection, metrics by method and code, graceful stop."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from paystream.payment.v1 import payment_pb2, payment_pb2_grpc
from runtime.grpc_server import GRPC_CALLS, GrpcServer

SERVICE = "paystream.payment.v1.PaymentService"


class SlowQueryServicer(payment_pb2_grpc.PaymentServiceServicer):
    """Answers QueryStatus after a pause; fails CloseOrder with NOT_FOUND."""

    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def QueryStatus(
        self, request: payment_pb2.QueryStatusRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> payment_pb2.QueryStatusResponse:
        self.started.set()
        await asyncio.sleep(0.3)
        return payment_pb2.QueryStatusResponse(out_trade_no=request.out_trade_no)

    async def CloseOrder(
        self, request: payment_pb2.CloseOrderRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> payment_pb2.CloseOrderResponse:
        await context.abort(grpc.StatusCode.NOT_FOUND, "no such order")
        raise AssertionError("abort raises")


def _servicer() -> SlowQueryServicer:
    # Only the two methods above are called; the others stay abstract on purpose.
    return SlowQueryServicer()  # type: ignore[abstract]


def _server(servicer: SlowQueryServicer) -> GrpcServer:
    return GrpcServer(
        lambda s: payment_pb2_grpc.add_PaymentServiceServicer_to_server(servicer, s),
        [SERVICE],
        "127.0.0.1:0",
    )


async def test_health_reflection_and_metrics_by_method_and_code() -> None:
    server = _server(_servicer())
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            answer = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE))
            assert answer.status == health_pb2.HealthCheckResponse.SERVING

            reflect = reflection_pb2_grpc.ServerReflectionStub(channel)
            responses = reflect.ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")])
            )
            listed = [s.name async for r in responses for s in r.list_services_response.service]
            assert SERVICE in listed

            stub = payment_pb2_grpc.PaymentServiceStub(channel)
            close_method = f"/{SERVICE}/CloseOrder"
            before = GRPC_CALLS.labels(close_method, "NOT_FOUND")._value.get()
            with pytest.raises(grpc.aio.AioRpcError) as failed:
                await stub.CloseOrder(payment_pb2.CloseOrderRequest(out_trade_no="x"))
            assert failed.value.code() == grpc.StatusCode.NOT_FOUND
            assert GRPC_CALLS.labels(close_method, "NOT_FOUND")._value.get() == before + 1
    finally:
        await server.stop(grace=0)


async def test_graceful_stop_lets_the_call_in_flight_finish_and_refuses_new_ones() -> None:
    servicer = _servicer()
    server = _server(servicer)
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = payment_pb2_grpc.PaymentServiceStub(channel)
        in_flight = asyncio.ensure_future(
            stub.QueryStatus(payment_pb2.QueryStatusRequest(out_trade_no="order-1"))
        )
        await servicer.started.wait()
        stopping = asyncio.ensure_future(server.stop(grace=5))
        answer = await in_flight
        assert answer.out_trade_no == "order-1"
        await stopping
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.QueryStatus(
                payment_pb2.QueryStatusRequest(out_trade_no="order-2"), timeout=1
            )
        assert refused.value.code() in {
            grpc.StatusCode.UNAVAILABLE,
            grpc.StatusCode.DEADLINE_EXCEEDED,
        }
