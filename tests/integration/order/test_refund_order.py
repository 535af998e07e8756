"""OrderService.RefundOrder against the real PaymentService and the sandbox, in both WeChat Pay
API versions: the refundable amount is checked against the order's own refunds under its row
lock (API v3 lists no refunds by order), a refund number is an idempotency key, and two
concurrent refunds cannot both pass the limit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import grpc
import pytest

from paystream.order.v1 import order_pb2
from paystream.payment.v1 import payment_pb2, types_pb2
from tests.fixtures.order import (
    InProcessWorker,
    OrderTopics,
    RunningApi,
    insert_order,
    make_api_settings,
    running_api,
    scalar,
)
from tests.fixtures.payment import (
    RunningPayments,
    fails,
    paid_order,
    payment_settings,
    running_payments,
    v3_payment_settings,
)
from tests.fixtures.sandbox import SandboxControl, SandboxHandle

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(params=["v2", "v3"])
async def payments(
    request: pytest.FixtureRequest, sandbox: SandboxHandle
) -> AsyncIterator[RunningPayments]:
    settings = payment_settings(sandbox) if request.param == "v2" else v3_payment_settings(sandbox)
    async with running_payments(settings) as running:
        yield running


@pytest.fixture
async def orders(
    database_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    payments: RunningPayments,
) -> AsyncIterator[RunningApi]:
    settings = make_api_settings(
        database_url, redis_url, kafka_bootstrap, order_topics, payments.target
    )
    async with running_api(settings) as api:
        yield api


def _refund(order_id: str, number: str, fee: int) -> order_pb2.RefundOrderRequest:
    return order_pb2.RefundOrderRequest(
        id=order_id, out_refund_no=f"{order_id}-{number}", refund_fee=fee, reason="退货"
    )


async def _refunded_at_wechat(sandbox_control: SandboxControl, order_id: str) -> int:
    order = await sandbox_control.order(order_id)
    return int(order["refunded_fee"])


async def test_the_limit_is_checked_against_our_own_refunds_and_numbers_are_idempotent(
    database_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    payments: RunningPayments,
    sandbox_control: SandboxControl,
    orders: RunningApi,
    running_worker: InProcessWorker,
) -> None:
    order_id = await paid_order(
        1000, database_url, kafka_bootstrap, order_topics, payments, sandbox_control
    )
    stub = orders.stub

    first = await stub.RefundOrder(_refund(order_id, "1", 800))
    assert first.refund.status == types_pb2.REFUND_STATUS_PROCESSING
    assert first.refund.refund_id
    # 800 of 1000 refunded: neither 900 more nor the same number for another amount reaches
    # WeChat (under API v3 both used to, once the order had one refund).
    too_much = await fails(stub.RefundOrder(_refund(order_id, "2", 900)))
    reused = await fails(stub.RefundOrder(_refund(order_id, "1", 850)))
    repeat = await stub.RefundOrder(_refund(order_id, "1", 800))
    rest = await stub.RefundOrder(_refund(order_id, "2", 200))
    nothing_left = await fails(stub.RefundOrder(_refund(order_id, "3", 1)))

    assert too_much.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "200 fen still refundable" in (too_much.details() or "")
    assert reused.code() == grpc.StatusCode.ALREADY_EXISTS
    assert repeat.refund.refund_id == first.refund.refund_id
    assert rest.refund.refund_fee == 200
    assert nothing_left.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert await _refunded_at_wechat(sandbox_control, order_id) == 1000
    numbers = scalar(
        database_url,
        "SELECT array_agg(out_refund_no ORDER BY out_refund_no) FROM refunds WHERE order_id = %s",
        order_id,
    )
    assert numbers == [f"{order_id}-1", f"{order_id}-2"]


async def test_two_concurrent_refunds_cannot_both_pass_the_limit(
    database_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    payments: RunningPayments,
    sandbox_control: SandboxControl,
    orders: RunningApi,
    running_worker: InProcessWorker,
) -> None:
    order_id = await paid_order(
        1000, database_url, kafka_bootstrap, order_topics, payments, sandbox_control
    )
    outcomes = await asyncio.gather(
        *[orders.stub.RefundOrder(_refund(order_id, str(n), 600)) for n in range(4)],
        return_exceptions=True,
    )
    passed = [o for o in outcomes if isinstance(o, order_pb2.RefundOrderResponse)]
    refused = [o for o in outcomes if isinstance(o, grpc.aio.AioRpcError)]
    assert len(passed) == 1
    assert [e.code() for e in refused] == [grpc.StatusCode.FAILED_PRECONDITION] * 3
    assert await _refunded_at_wechat(sandbox_control, order_id) == 600


async def test_refunds_that_cannot_be_made_are_refused_before_wechat_is_asked(
    database_url: str,
    payments: RunningPayments,
    sandbox_control: SandboxControl,
    orders: RunningApi,
) -> None:
    pending = insert_order(database_url, f"RO{uuid.uuid4().hex[:20]}", total_fee=500)
    unpaid = await fails(orders.stub.RefundOrder(_refund(pending, "1", 100)))
    unknown = await fails(orders.stub.RefundOrder(_refund("no-such-order-1", "1", 100)))
    invalid = await fails(
        orders.stub.RefundOrder(
            order_pb2.RefundOrderRequest(id=pending, out_refund_no="bad number!", refund_fee=0)
        )
    )
    assert unpaid.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    assert invalid.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert scalar(database_url, "SELECT count(*) FROM refunds WHERE order_id = %s", pending) == 0


async def test_a_refund_wechat_refuses_holds_no_money(
    database_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    payments: RunningPayments,
    sandbox_control: SandboxControl,
    orders: RunningApi,
    running_worker: InProcessWorker,
) -> None:
    """A number WeChat already used with another amount (made outside this system) is refused
    by WeChat; our reservation is released, so it does not hold the order's money."""
    order_id = await paid_order(
        1000, database_url, kafka_bootstrap, order_topics, payments, sandbox_control
    )
    await payments.stub.Refund(
        payment_pb2.RefundRequest(
            out_trade_no=order_id,
            out_refund_no=f"{order_id}-x",
            total_fee=1000,
            refund_fee=100,
        )
    )
    refused = await fails(orders.stub.RefundOrder(_refund(order_id, "x", 300)))
    assert refused.code() == grpc.StatusCode.ALREADY_EXISTS
    assert (
        scalar(
            database_url, "SELECT count(*) FROM refunds WHERE out_refund_no = %s", f"{order_id}-x"
        )
        == 0
    )
