"""PaymentService and OrderService, as their composition roots build them, under hostile
callers: invalid arguments, random field values (hypothesis), requests that are not protobuf,
messages over the 4 MiB cap, deadlines of 1 ms. Every call gets a deliberate status — never
UNKNOWN (an unhandled exception) — and the server keeps serving. Each test runs twice: over
plaintext and over mutual TLS (an allowed caller; order-api calls the payment service over
mutual TLS too)."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from order.api.settings import ApiSettings
from payment.settings import PaymentSettings
from paystream.order.v1 import order_pb2
from paystream.payment.v1 import payment_pb2
from runtime.grpc_tls import serving
from tests.fixtures.grpc_tls import CHECKOUT, ORDER_API, Pki, server_overrides
from tests.fixtures.order import (
    OrderTopics,
    RunningApi,
    make_api_settings,
    running_api,
    running_fake_payments,
    scalar,
)
from tests.fixtures.payment import RunningPayments, payment_settings, running_payments
from tests.fixtures.sandbox import SandboxHandle

pytestmark = pytest.mark.timeout(180)

PAYMENT_SERVICE = "paystream.payment.v1.PaymentService"

NEVER = {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL}
FIVE_MIB = "x" * (5 * 1024 * 1024)
HYPOTHESIS = settings(
    max_examples=int(os.environ.get("PAYSTREAM_GRPC_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Timestamps anywhere in (and just outside) the range protobuf allows, nanos included.
timestamps = st.builds(
    Timestamp,
    seconds=st.one_of(
        st.integers(-62135596800, 253402300799),
        st.sampled_from([-62135596801, 253402300800, 2**62, 0, 253402300799]),
    ),
    nanos=st.one_of(st.integers(0, 999_999_999), st.sampled_from([-1, 1_000_000_000])),
)
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "\x00", "order\x00id", "a" * 33, "ok-id-123456", "中文订单号码123"]),
)
fees = st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from([0, 1, -1, 2**63 - 1]))


def _everyone_may_call(methods: frozenset[str], caller: str) -> str:
    return json.dumps({name: [caller] for name in methods})


@pytest.fixture(params=["plaintext", "mtls"])
def mtls(request: pytest.FixtureRequest) -> bool:
    return bool(request.param == "mtls")


@pytest.fixture
async def payment_service(
    sandbox: SandboxHandle, mtls: bool, grpc_pki: Pki
) -> AsyncIterator[RunningPayments]:
    """The PaymentService over plaintext, or over mutual TLS with the caller allowed."""
    if not mtls:
        async with running_payments(payment_settings(sandbox)) as running:
            yield running
        return
    table = _everyone_may_call(PaymentSettings.grpc_methods, CHECKOUT)
    settings = payment_settings(sandbox, **server_overrides(grpc_pki.files("payment"), table))
    async with running_payments(settings, grpc_pki.files("checkout")) as running:
        yield running


@pytest.fixture
async def order_api(
    database_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    mtls: bool,
    grpc_pki: Pki,
) -> AsyncIterator[RunningApi]:
    """OrderService (over a fake PaymentService), plaintext or mutual TLS throughout."""
    payments_tls = None
    if mtls:
        table = {name: frozenset([ORDER_API]) for name in PaymentSettings.grpc_methods}
        payments_tls = serving(grpc_pki.files("payment"), table, PAYMENT_SERVICE)
    async with running_fake_payments(payments_tls) as fake:
        tls: dict[str, Any] = {}
        if mtls:
            table_json = _everyone_may_call(ApiSettings.grpc_methods, CHECKOUT)
            tls = server_overrides(grpc_pki.files("order-api"), table_json)
        settings = make_api_settings(
            database_url, redis_url, kafka_bootstrap, order_topics, fake.target, **tls
        )
        async with running_api(settings, grpc_pki.files("checkout") if mtls else None) as api:
            yield api


def _new_id() -> str:
    return f"H{uuid.uuid4().hex[:20]}"


async def _code(call: Awaitable[Any]) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def _serving(running: RunningPayments | RunningApi, service: str) -> None:
    async with running.open_channel() as channel:
        health = health_pb2_grpc.HealthStub(channel)
        answer = await health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
    assert answer.status == health_pb2.HealthCheckResponse.SERVING


# --- PaymentService -----------------------------------------------------------------------------


def _native(**fields: Any) -> payment_pb2.CreateNativeRequest:
    values: dict[str, Any] = {"out_trade_no": _new_id(), "total_fee": 100, "description": "x"}
    values.update(fields)
    return payment_pb2.CreateNativeRequest(**values)


PAYMENT_INVALID: dict[str, Callable[[Any], Awaitable[Any]]] = {
    "CreateNative: id with a space": lambda s: s.CreateNative(_native(out_trade_no="bad id 1")),
    "CreateNative: id too long": lambda s: s.CreateNative(_native(out_trade_no="a" * 33)),
    "CreateNative: zero fee": lambda s: s.CreateNative(_native(total_fee=0)),
    "CreateNative: negative fee": lambda s: s.CreateNative(_native(total_fee=-5)),
    "CreateNative: 128-byte description": lambda s: s.CreateNative(_native(description="é" * 64)),
    "CreateNative: expired": lambda s: s.CreateNative(_native(expire_time=Timestamp(seconds=1))),
    "CreateNative: not a timestamp": lambda s: s.CreateNative(
        _native(expire_time=Timestamp(seconds=2**62))
    ),
    "CreateNative: year 9999": lambda s: s.CreateNative(
        _native(expire_time=Timestamp(seconds=253402300799))
    ),
    "QueryStatus: empty id": lambda s: s.QueryStatus(payment_pb2.QueryStatusRequest()),
    "CloseOrder: NUL in id": lambda s: s.CloseOrder(
        payment_pb2.CloseOrderRequest(out_trade_no="order\x000001")
    ),
    "Refund: refund above total": lambda s: s.Refund(
        payment_pb2.RefundRequest(
            out_trade_no=_new_id(), out_refund_no="r1", total_fee=1, refund_fee=2
        )
    ),
    "Refund: no refund number": lambda s: s.Refund(
        payment_pb2.RefundRequest(out_trade_no=_new_id(), total_fee=1, refund_fee=1)
    ),
    "QueryRefund: nothing named": lambda s: s.QueryRefund(payment_pb2.QueryRefundRequest()),
}


@pytest.mark.parametrize("case", list(PAYMENT_INVALID))
async def test_invalid_payment_requests_are_invalid_argument(
    case: str, payment_service: RunningPayments
) -> None:
    code = await _code(PAYMENT_INVALID[case](payment_service.stub))
    assert code is grpc.StatusCode.INVALID_ARGUMENT


@HYPOTHESIS
@given(out_trade_no=texts, total_fee=fees, description=texts, expire=st.none() | timestamps)
async def test_any_create_native_gets_a_deliberate_status(
    payment_service: RunningPayments,
    out_trade_no: str,
    total_fee: int,
    description: str,
    expire: Timestamp | None,
) -> None:
    request = payment_pb2.CreateNativeRequest(
        out_trade_no=out_trade_no, total_fee=total_fee, description=description
    )
    if expire is not None:
        request.expire_time.CopyFrom(expire)
    assert await _code(payment_service.stub.CreateNative(request, timeout=10)) not in NEVER


async def test_payment_service_survives_oversized_bytes_and_1ms_deadlines(
    payment_service: RunningPayments,
) -> None:
    stub = payment_service.stub
    big = await _code(stub.CreateNative(_native(description=FIVE_MIB), timeout=10))
    assert big is grpc.StatusCode.RESOURCE_EXHAUSTED
    codes = await asyncio.gather(
        *(
            stub.QueryStatus(payment_pb2.QueryStatusRequest(out_trade_no=_new_id()), timeout=0.001)
            for _ in range(50)
        ),
        return_exceptions=True,
    )
    assert {c.code() for c in codes if isinstance(c, grpc.aio.AioRpcError)} <= {
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.NOT_FOUND,
    }
    await _not_protobuf(payment_service, "/paystream.payment.v1.PaymentService/CreateNative")
    await _serving(payment_service, PAYMENT_SERVICE)
    order_id = _new_id()
    placed = await stub.CreateNative(_native(out_trade_no=order_id), timeout=10)
    assert placed.code_url


async def _not_protobuf(running: RunningPayments | RunningApi, method: str) -> None:
    async with running.open_channel() as channel:
        raw = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
        for body in (b"\xff" * 64, os.urandom(512), b"\x0a\xff\xff\xff\xff\x0f"):
            code = await _code(raw(body, timeout=5))
            assert code is grpc.StatusCode.INVALID_ARGUMENT, body


# --- OrderService -------------------------------------------------------------------------------


ORDER_INVALID: dict[str, Callable[[Any], Awaitable[Any]]] = {
    "CreateOrder: id with a slash": lambda s: s.CreateOrder(
        order_pb2.CreateOrderRequest(id="a/b/c/d", total_fee=1)
    ),
    "CreateOrder: zero fee": lambda s: s.CreateOrder(order_pb2.CreateOrderRequest(total_fee=0)),
    "CreateOrder: 200-byte attach": lambda s: s.CreateOrder(
        order_pb2.CreateOrderRequest(total_fee=1, attach="a" * 200)
    ),
    "CreateOrder: expired": lambda s: s.CreateOrder(
        order_pb2.CreateOrderRequest(total_fee=1, expire_time=Timestamp(seconds=1))
    ),
    "CreateOrder: not a timestamp": lambda s: s.CreateOrder(
        order_pb2.CreateOrderRequest(total_fee=1, expire_time=Timestamp(seconds=1, nanos=-1))
    ),
    "CreateOrder: NUL in description": lambda s: s.CreateOrder(
        order_pb2.CreateOrderRequest(total_fee=1, description="tea\x00")
    ),
    "GetOrder: empty id": lambda s: s.GetOrder(order_pb2.GetOrderRequest()),
    "GetOrder: NUL in id": lambda s: s.GetOrder(order_pb2.GetOrderRequest(id="order\x000001")),
    "CancelOrder: empty id": lambda s: s.CancelOrder(order_pb2.CancelOrderRequest()),
}


@pytest.mark.parametrize("case", list(ORDER_INVALID))
async def test_invalid_order_requests_are_invalid_argument(
    case: str, order_api: RunningApi
) -> None:
    code = await _code(ORDER_INVALID[case](order_api.stub))
    assert code is grpc.StatusCode.INVALID_ARGUMENT


@HYPOTHESIS
@given(
    order_id=texts,
    total_fee=fees,
    description=texts,
    attach=texts,
    expire=st.none() | timestamps,
    lookup=texts,
)
async def test_any_order_request_gets_a_deliberate_status(
    order_api: RunningApi,
    order_id: str,
    total_fee: int,
    description: str,
    attach: str,
    expire: Timestamp | None,
    lookup: str,
) -> None:
    request = order_pb2.CreateOrderRequest(
        id=order_id, total_fee=total_fee, description=description, attach=attach
    )
    if expire is not None:
        request.expire_time.CopyFrom(expire)
    stub = order_api.stub
    assert await _code(stub.CreateOrder(request, timeout=10)) not in NEVER
    assert await _code(stub.GetOrder(order_pb2.GetOrderRequest(id=lookup), timeout=10)) not in NEVER
    assert (
        await _code(stub.CancelOrder(order_pb2.CancelOrderRequest(id=lookup), timeout=10))
        not in NEVER
    )


async def test_order_service_survives_oversized_bytes_and_1ms_deadlines(
    order_api: RunningApi, database_url: str
) -> None:
    stub = order_api.stub
    big = await _code(
        stub.CreateOrder(order_pb2.CreateOrderRequest(total_fee=1, description=FIVE_MIB))
    )
    assert big is grpc.StatusCode.RESOURCE_EXHAUSTED
    order_id = _new_id()
    hurried = await asyncio.gather(
        *(
            _code(
                stub.CreateOrder(
                    order_pb2.CreateOrderRequest(id=order_id, total_fee=321), timeout=0.001
                )
            )
            for _ in range(50)
        )
    )
    assert set(hurried) <= {grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.OK}
    await _not_protobuf(order_api, "/paystream.order.v1.OrderService/GetOrder")
    await _serving(order_api, "paystream.order.v1.OrderService")
    # Whatever the hurried calls did, the order exists at most once and a patient retry gets it.
    again = await stub.CreateOrder(order_pb2.CreateOrderRequest(id=order_id, total_fee=321))
    assert again.order.id == order_id
    assert scalar(database_url, "SELECT count(*) FROM orders WHERE id = %s", order_id) == 1
