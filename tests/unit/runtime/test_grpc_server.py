"""The gRPC scaffolding: health, reflection, metrics by method and code, graceful stop."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from devstack import grpc_certs
from devstack.grpc_certs import Authority
from devstack.ports import free_port
from payment.settings import PaymentSettings
from paystream.payment.v1 import payment_pb2, payment_pb2_grpc
from runtime.grpc_server import GRPC_CALLS, GrpcServer
from runtime.grpc_tls import ANYONE, channel, serving

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


async def test_a_mutual_tls_server_answers_probes_on_its_plaintext_health_port(
    tmp_path: Path,
) -> None:
    """The kubelet's gRPC probes speak no TLS: the health service alone, on its own port, in
    plaintext; the service's own port takes no plaintext caller, and reflection can be off."""
    ca = Authority.create()
    files = grpc_certs.write(tmp_path / "payment", ca.issue([grpc_certs.PAYMENT]), ca.pem)
    table = {name: frozenset([ANYONE]) for name in PaymentSettings.grpc_methods}
    servicer = _servicer()
    probe_port = free_port()
    server = GrpcServer(
        lambda s: payment_pb2_grpc.add_PaymentServiceServicer_to_server(servicer, s),
        [SERVICE],
        "127.0.0.1:0",
        tls=serving(files, table, SERVICE),
        reflection=False,
        health_address=f"127.0.0.1:{probe_port}",
    )
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{probe_port}") as probe:
            answer = await health_pb2_grpc.HealthStub(probe).Check(
                health_pb2.HealthCheckRequest(service=SERVICE), timeout=5
            )
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
            with pytest.raises(grpc.aio.AioRpcError) as only_health:
                await payment_pb2_grpc.PaymentServiceStub(probe).QueryStatus(
                    payment_pb2.QueryStatusRequest(out_trade_no="x"), timeout=5
                )
            assert only_health.value.code() == grpc.StatusCode.UNIMPLEMENTED
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as plain:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await health_pb2_grpc.HealthStub(plain).Check(
                    health_pb2.HealthCheckRequest(), timeout=5
                )
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        async with channel(f"127.0.0.1:{server.port}", files) as secure:
            reflect = reflection_pb2_grpc.ServerReflectionStub(secure)
            call = reflect.ServerReflectionInfo()
            assert await call.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        await server.stop(grace=0)
