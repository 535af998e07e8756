"""A grpc.aio server as every paystream gRPC process runs it.

Standard health service and server reflection, a metrics interceptor (calls, latency and status
code per method), a message size cap, and a graceful stop on SIGTERM: health turns NOT_SERVING,
no new calls are accepted, in-flight calls get a grace period to finish. Plaintext, or mutual
TLS with each call admitted by its caller's identity (runtime.grpc_tls).
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf.message import DecodeError
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer  # the asyncio servicer (stubs lack it)
from grpc_reflection.v1alpha import reflection as _reflection
from prometheus_client import Counter, Histogram

from runtime.grpc_tls import CallGuard, ServerTls
from runtime.logs import get_logger

log = get_logger(__name__)

GRPC_CALLS = Counter(
    "paystream_grpc_server_handled_total",
    "gRPC calls handled, by method and status code.",
    ["method", "code"],
)
GRPC_LATENCY = Histogram(
    "paystream_grpc_server_handling_seconds",
    "gRPC call latency, by method.",
    ["method"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

MAX_MESSAGE_BYTES = 4 * 1024 * 1024

# The stubs make ServerInterceptor generic; at run time it is not subscriptable.
if TYPE_CHECKING:
    ServerInterceptor = grpc.aio.ServerInterceptor[Any, Any]
else:
    ServerInterceptor = grpc.aio.ServerInterceptor


class _Undecodable:
    """Stands in for a request whose bytes are not the method's message."""

    def __init__(self, error: DecodeError) -> None:
        self.error = error


class CallInterceptor(ServerInterceptor):
    """Every unary-unary call is counted and timed by method and final status code, and a
    request that does not decode as the method's message is INVALID_ARGUMENT (left to grpc, the
    DecodeError would be logged as a servicer crash and answered UNKNOWN).

    With a guard (mutual TLS), each call is admitted by who asks before anything else.

    The wrapped handler is built once per method and reused: building it per call was a
    measurable share of a call's cost."""

    def __init__(self, guard: CallGuard | None = None) -> None:
        self._wrapped: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}
        self._guard = guard

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        method = handler_call_details.method
        wrapped = self._wrapped.get(method)
        if wrapped is not None:
            return wrapped
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None or handler.request_deserializer is None:
            return handler
        wrapped = _wrap(method, handler, self._guard)
        self._wrapped[method] = wrapped
        return wrapped


def _wrap(
    method: str, handler: grpc.RpcMethodHandler[Any, Any], guard: CallGuard | None
) -> grpc.RpcMethodHandler[Any, Any]:
    decode = handler.request_deserializer
    inner = handler.unary_unary
    assert decode is not None
    assert inner is not None
    latency = GRPC_LATENCY.labels(method)
    calls: dict[str, Any] = {}

    def lenient(raw: bytes) -> Any:
        try:
            return decode(raw)
        except DecodeError as error:
            return _Undecodable(error)

    async def call(request: Any, context: Any) -> Any:
        # At run time context.code() is None until a code is set (the stubs say otherwise).
        started = time.perf_counter()
        code: object = grpc.StatusCode.UNKNOWN
        try:
            if guard is not None:
                await guard.admit(method, context)
            if isinstance(request, _Undecodable):
                await context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"the request does not decode: {request.error}",
                )
            response = await inner(request, context)
            code = context.code() or grpc.StatusCode.OK
            return response
        except asyncio.CancelledError:
            code = grpc.StatusCode.CANCELLED
            raise
        except Exception:
            code = context.code() or grpc.StatusCode.UNKNOWN
            raise
        finally:
            latency.observe(time.perf_counter() - started)
            name = _code_name(code)
            counter = calls.get(name)
            if counter is None:
                counter = calls[name] = GRPC_CALLS.labels(method, name)
            counter.inc()

    return grpc.unary_unary_rpc_method_handler(
        call, request_deserializer=lenient, response_serializer=handler.response_serializer
    )


def _code_name(code: object) -> str:
    if isinstance(code, grpc.StatusCode):
        return code.name
    if isinstance(code, int):
        return next((c.name for c in grpc.StatusCode if c.value[0] == code), str(code))
    return str(code)


class GrpcServer:
    """Owns the server, its health servicer and its shutdown."""

    def __init__(
        self,
        register: Callable[[grpc.aio.Server], None],
        service_names: Iterable[str],
        address: str,
        extra_interceptors: Iterable[ServerInterceptor] = (),
        tls: ServerTls | None = None,
        reflection: bool = True,
        health_address: str | None = None,
    ) -> None:
        """``tls``: serve mutual TLS and admit calls by its guard (None: plaintext).
        ``health_address``: also serve the health service alone, in plaintext, there (the
        kubelet's gRPC probes speak no TLS)."""
        self.service_names = list(service_names)
        guard = tls.guard if tls is not None else None
        self.transport = (
            "plaintext" if tls is None else f"mtls as {tls.credentials.material.identity}"
        )
        self.server = grpc.aio.server(
            interceptors=[CallInterceptor(guard), *extra_interceptors],
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.so_reuseport", 0),
                # Clients behind a Kubernetes Service stick to one pod per connection; ageing
                # connections out lets new replicas (HPA) take their share of the load.
                ("grpc.max_connection_age_ms", 300_000),
                ("grpc.max_connection_age_grace_ms", 30_000),
            ],
        )
        register(self.server)
        self.health = HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.health_server: grpc.aio.Server | None = None
        if health_address is not None:
            self.health_server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
            health_pb2_grpc.add_HealthServicer_to_server(self.health, self.health_server)
            if self.health_server.add_insecure_port(health_address) == 0:
                raise OSError(f"cannot listen on {health_address}")
        if reflection:
            _reflection.enable_server_reflection(
                [
                    *self.service_names,
                    health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                    _reflection.SERVICE_NAME,
                ],
                self.server,
            )
        if tls is None:
            self.port = self.server.add_insecure_port(address)
        else:
            self.port = self.server.add_secure_port(address, tls.credentials.credentials())
        if self.port == 0:
            raise OSError(f"cannot listen on {address}")

    async def start(self) -> None:
        await self.server.start()
        if self.health_server is not None:
            await self.health_server.start()
        for name in ["", *self.service_names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self, grace: float) -> None:
        """Stops taking calls; in-flight calls get `grace` seconds to finish."""
        for name in ["", *self.service_names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        await self.server.stop(grace)
        if self.health_server is not None:
            await self.health_server.stop(0)

    async def serve_until_signalled(self, grace: float) -> None:
        """Runs until SIGTERM or SIGINT, then stops gracefully."""
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        await self.start()
        log.info(
            "grpc server started",
            port=self.port,
            services=self.service_names,
            transport=self.transport,
        )
        await stopping.wait()
        log.info("grpc server stopping", grace_seconds=grace)
        await self.stop(grace)
        log.info("grpc server stopped")
