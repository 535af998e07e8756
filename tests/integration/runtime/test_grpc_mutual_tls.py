"""Who may move money, over real mutual TLS: the PaymentService (against the sandbox) and the
OrderService (calling a PaymentService that admits only order-api) as their composition roots
build them, each certificate made for the test by a CA of the session.

An allowed caller is served; a caller of the trust domain that the table does not name for a
method is PERMISSION_DENIED for it (and still served where the table says "*"); no
certificate, a certificate of another CA or an expired one never get past the handshake; a
certificate without our SPIFFE identity is UNAUTHENTICATED. The server's certificate can be
replaced while callers keep calling, without one failed call."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from cryptography import x509
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from devstack import grpc_certs
from order.api.settings import ApiSettings
from payment.bootstrap import MONEY_MOVING
from payment.settings import PaymentSettings
from paystream.order.v1 import order_pb2, order_pb2_grpc
from paystream.payment.v1 import payment_pb2, payment_pb2_grpc
from runtime.grpc_tls import TlsFiles, channel, channels, serving
from tests.fixtures.grpc_tls import (
    CHECKOUT,
    ORDER_API,
    RECONCILER,
    STRANGER,
    Pki,
    server_overrides,
)
from tests.fixtures.order import (
    InProcessWorker,
    OrderTopics,
    make_api_settings,
    running_api,
    running_fake_payments,
)
from tests.fixtures.payment import RunningPayments, coffee_order, fails, running_payments
from tests.fixtures.payment import payment_settings as payment_settings_for
from tests.fixtures.sandbox import SandboxHandle

PAYMENT_SERVICE = "paystream.payment.v1.PaymentService"
ADMITTED = "money-moving call admitted"
MONEY_MOVERS = [ORDER_API, RECONCILER]
PAYMENT_TABLE = json.dumps(
    {
        "CreateNative": [CHECKOUT],
        "QueryStatus": ["*"],
        "CloseOrder": MONEY_MOVERS,
        "Refund": MONEY_MOVERS,
        "QueryRefund": MONEY_MOVERS,
        "DownloadTradeBill": [RECONCILER],
    }
)


def _new_id() -> str:
    return f"T{uuid.uuid4().hex[:20]}"


@pytest.fixture
async def payments(sandbox: SandboxHandle, grpc_pki: Pki) -> AsyncIterator[RunningPayments]:
    """The PaymentService over mutual TLS; the stub presents the shop's (checkout's) certificate."""
    settings = payment_settings_for(
        sandbox, **server_overrides(grpc_pki.files("payment"), PAYMENT_TABLE)
    )
    async with running_payments(settings, grpc_pki.files("checkout")) as running:
        yield running


def _stub(opened: grpc.aio.Channel) -> payment_pb2_grpc.PaymentServiceAsyncStub:
    return payment_pb2_grpc.PaymentServiceStub(opened)


def _refund(order_id: str) -> payment_pb2.RefundRequest:
    return payment_pb2.RefundRequest(
        out_trade_no=order_id, out_refund_no=f"R{order_id}", total_fee=100, refund_fee=100
    )


def _refused(method: str, code: str) -> float:
    value = REGISTRY.get_sample_value(
        "paystream_grpc_server_refused_total", {"method": method, "code": code}
    )
    return value or 0.0


async def test_an_allowed_caller_is_served(payments: RunningPayments) -> None:
    placed = await payments.stub.CreateNative(coffee_order(_new_id()), timeout=10)
    assert placed.code_url.startswith("weixin://")


async def test_a_caller_outside_the_table_may_query_but_not_refund(
    payments: RunningPayments, grpc_pki: Pki
) -> None:
    order_id = _new_id()
    await payments.stub.CreateNative(coffee_order(order_id), timeout=10)
    refund = "/paystream.payment.v1.PaymentService/Refund"
    before = _refused(refund, "PERMISSION_DENIED")
    async with channel(payments.target, grpc_pki.files("stranger")) as opened:
        with capture_logs() as logs:
            denied = await fails(_stub(opened).Refund(_refund(order_id), timeout=10))
        answer = await _stub(opened).QueryStatus(
            payment_pb2.QueryStatusRequest(out_trade_no=order_id), timeout=10
        )
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    assert answer.out_trade_no == order_id
    assert _refused(refund, "PERMISSION_DENIED") == before + 1
    [entry] = [e for e in logs if e["event"] == "grpc call denied"]
    assert (entry["caller"], entry["method"]) == (STRANGER, refund)
    assert order_id not in json.dumps(entry, default=str)  # the request never reaches the log


async def test_money_moving_calls_are_logged_with_who_asked(
    payments: RunningPayments, grpc_pki: Pki
) -> None:
    order_id = _new_id()
    async with channel(payments.target, grpc_pki.files("order-reconcile")) as opened:
        with capture_logs() as logs:
            await fails(
                _stub(opened).CloseOrder(
                    payment_pb2.CloseOrderRequest(out_trade_no=order_id), timeout=10
                )
            )
    admitted = [e for e in logs if e["event"] == ADMITTED]
    assert [(e["caller"], e["method"]) for e in admitted] == [
        (RECONCILER, "/paystream.payment.v1.PaymentService/CloseOrder")
    ]


@pytest.mark.parametrize("who", ["no certificate", "another CA", "expired"])
async def test_callers_without_a_valid_certificate_do_not_get_past_the_handshake(
    payments: RunningPayments, grpc_pki: Pki, who: str
) -> None:
    if who == "no certificate":
        credentials = grpc.ssl_channel_credentials(root_certificates=grpc_pki.ca.pem)
        opened = grpc.aio.secure_channel(payments.target, credentials)
    else:
        files = (
            grpc_pki.from_another_ca("impostor", CHECKOUT)
            if who == "another CA"
            else grpc_pki.expired("checkout-expired")
        )
        opened = channel(payments.target, files)
    async with opened:
        refused = await fails(
            _stub(opened).QueryStatus(
                payment_pb2.QueryStatusRequest(out_trade_no=_new_id()), timeout=5
            )
        )
    assert refused.code() == grpc.StatusCode.UNAVAILABLE  # the TLS handshake failed


@pytest.mark.parametrize(
    "uris",
    [
        [],
        ["spiffe://elsewhere.example/ns/shop/sa/checkout"],
        [CHECKOUT, grpc_certs.DEMO],
        ["https://paystream.local/checkout"],
    ],
    ids=["DNS names only", "another trust domain", "two identities", "not SPIFFE"],
)
async def test_a_certificate_without_one_identity_of_ours_is_unauthenticated(
    payments: RunningPayments, grpc_pki: Pki, uris: list[str]
) -> None:
    async with _unchecked(payments.target, grpc_pki, uris) as opened:
        refused = await fails(
            _stub(opened).QueryStatus(
                payment_pb2.QueryStatusRequest(out_trade_no=_new_id()), timeout=5
            )
        )
    assert refused.code() == grpc.StatusCode.UNAUTHENTICATED


def _unchecked(target: str, pki: Pki, uris: list[str]) -> grpc.aio.Channel:
    """A channel with a certificate of our CA our own loader would refuse (grpc's own)."""
    issued = pki.ca.issue(uris)
    credentials = grpc.ssl_channel_credentials(pki.ca.pem, issued.key, issued.cert)
    return grpc.aio.secure_channel(target, credentials)


def _served_serial(target: str, client: TlsFiles) -> int:
    """The serial of the certificate the server presents to a new connection."""
    context = ssl.create_default_context(cafile=str(client.ca))
    context.load_cert_chain(str(client.cert), str(client.key))
    context.set_alpn_protocols(["h2"])
    host, port = target.rsplit(":", 1)
    with (
        socket.create_connection((host, int(port)), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der).serial_number


async def test_the_server_certificate_rotates_under_running_callers(
    sandbox: SandboxHandle, grpc_pki: Pki
) -> None:
    server_files = grpc_pki.files("payment-rotating", [grpc_certs.PAYMENT])
    client = grpc_pki.files("checkout")
    settings = payment_settings_for(sandbox, **server_overrides(server_files, PAYMENT_TABLE))
    async with running_payments(settings, client) as payments:
        first = _served_serial(payments.target, client)
        failures: list[BaseException] = []
        calls = 0
        wanted = 0
        enough, stop = asyncio.Event(), asyncio.Event()

        async def keep_calling(fresh_channels: bool) -> None:
            nonlocal calls
            while not stop.is_set():
                request = payment_pb2.QueryStatusRequest(out_trade_no=_new_id())
                try:
                    if fresh_channels:  # a new connection, so a new handshake, each time
                        async with channel(payments.target, client) as opened:
                            await _stub(opened).QueryStatus(request, timeout=5)
                    else:
                        await payments.stub.QueryStatus(request, timeout=5)
                except grpc.aio.AioRpcError as error:
                    if error.code() != grpc.StatusCode.NOT_FOUND:  # NOT_FOUND: served
                        failures.append(error)
                calls += 1
                if wanted and calls >= wanted:
                    enough.set()

        callers = [asyncio.create_task(keep_calling(fresh)) for fresh in (False, True, True)]
        await asyncio.sleep(0.3)
        rotated = grpc_pki.ca.issue([grpc_certs.PAYMENT])
        grpc_certs.write(server_files.cert.parent, rotated, grpc_pki.ca.pem)
        wanted = calls + 30  # calls after the rotation, old connections and new
        await enough.wait()
        second = _served_serial(payments.target, client)
        stop.set()
        await asyncio.gather(*callers)
    assert failures == []
    assert second != first
    assert second == x509.load_pem_x509_certificate(rotated.cert).serial_number


async def test_a_calling_channel_takes_up_its_renewed_certificate(
    payments: RunningPayments, grpc_pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(channels, "CHECK_EVERY_SECONDS", 0.0)
    files = grpc_pki.files("checkout-renewing", [CHECKOUT])
    async with channel(payments.target, files) as opened:
        assert isinstance(opened, channels.ReloadingChannel)
        stub = _stub(opened)
        await stub.CreateNative(coffee_order(_new_id()), timeout=10)
        grpc_certs.write(files.cert.parent, grpc_pki.ca.issue([CHECKOUT]), grpc_pki.ca.pem)
        with capture_logs() as logs:
            for _ in range(5):
                await stub.CreateNative(coffee_order(_new_id()), timeout=10)
    assert [e["identity"] for e in logs if e["event"] == "client certificate reloaded"] == [
        CHECKOUT
    ]


# --- OrderService -------------------------------------------------------------------------------


async def test_cancel_goes_to_the_payment_service_with_order_apis_own_certificate(
    database_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    running_worker: InProcessWorker,
    grpc_pki: Pki,
) -> None:
    only_order_api = {name: frozenset([ORDER_API]) for name in PaymentSettings.grpc_methods}
    payments_tls = serving(grpc_pki.files("payment"), only_order_api, PAYMENT_SERVICE, MONEY_MOVING)
    order_table = {name: [CHECKOUT] for name in ApiSettings.grpc_methods}
    tls: dict[str, Any] = server_overrides(grpc_pki.files("order-api"), json.dumps(order_table))
    async with running_fake_payments(payments_tls) as fake:
        settings = make_api_settings(
            database_url, redis_url, kafka_bootstrap, order_topics, fake.target, **tls
        )
        async with running_api(settings, grpc_pki.files("checkout")) as api:
            created = await api.stub.CreateOrder(order_pb2.CreateOrderRequest(total_fee=100))
            with capture_logs() as logs:
                answer = await api.stub.CancelOrder(
                    order_pb2.CancelOrderRequest(id=created.order.id), timeout=10
                )
            async with channel(api.target, grpc_pki.files("stranger")) as opened:
                stranger = order_pb2_grpc.OrderServiceStub(opened)
                denied = await fails(
                    stranger.CancelOrder(order_pb2.CancelOrderRequest(id=created.order.id))
                )
                refund = order_pb2.RefundOrderRequest(
                    id=created.order.id, out_refund_no="R1", refund_fee=1
                )
                refund_denied = await fails(stranger.RefundOrder(refund))
    assert answer.outcome == order_pb2.CANCEL_OUTCOME_CLOSED
    assert fake.servicer.closed == [created.order.id]  # admitted: order-api's own certificate
    admitted = [
        (e["caller"], e["method"]) for e in logs if e["event"] == "money-moving call admitted"
    ]
    assert admitted == [
        (CHECKOUT, "/paystream.order.v1.OrderService/CancelOrder"),
        (ORDER_API, "/paystream.payment.v1.PaymentService/CloseOrder"),
    ]
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    assert refund_denied.code() == grpc.StatusCode.PERMISSION_DENIED
