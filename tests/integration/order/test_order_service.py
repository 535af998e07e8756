"""OrderService over real gRPC: create, read (Redis first, PostgreSQL when Redis misses or is
down) and cancel (close at WeChat, report through Kafka, wait for the worker)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import grpc
import psycopg
import pytest
import redis as redis_sync
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from devstack.ports import free_port
from order.domain import is_valid_order_id
from order.store import PENDING_KEY, snapshot_key
from paystream.events.v1 import events_pb2
from paystream.order.v1 import order_pb2
from paystream.payment.v1 import payment_pb2
from runtime.observations import timestamp
from tests.fixtures.order import (
    FakePayments,
    InProcessWorker,
    OrderTopics,
    RunningApi,
    insert_order,
    make_api_settings,
    outbox_events,
    read_topic,
    running_api,
)


def _violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    found: dict[str, str] = {}
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            found.update({v.field: v.description for v in bad.field_violations})
    return found


async def test_create_order_generates_a_sortable_valid_id_and_indexes_the_order(
    order_api: RunningApi, database_url: str, redis_url: str
) -> None:
    before = time.time()
    first = await order_api.stub.CreateOrder(order_pb2.CreateOrderRequest(total_fee=1200))
    second = await order_api.stub.CreateOrder(order_pb2.CreateOrderRequest(total_fee=1))
    assert first.created
    assert second.created
    assert is_valid_order_id(first.order.id)
    assert first.order.id < second.order.id
    assert first.order.status == order_pb2.ORDER_STATUS_PENDING
    assert first.order.version == 1
    window = first.order.expire_time.ToDatetime(UTC) - first.order.create_time.ToDatetime(UTC)
    assert window == timedelta(seconds=1800)

    redis = redis_sync.Redis.from_url(redis_url)
    assert redis.hget(snapshot_key(first.order.id), "status") == b"PENDING"
    score = redis.zscore(PENDING_KEY, first.order.id)
    assert score is not None
    assert before + 9 <= score <= time.time() + 11
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone() == (2,)


async def test_create_order_is_idempotent_on_id_and_amount(order_api: RunningApi) -> None:
    request = order_pb2.CreateOrderRequest(id="shop-0001", total_fee=990, description="茶叶")
    created = await order_api.stub.CreateOrder(request)
    again = await order_api.stub.CreateOrder(request)
    assert (created.created, again.created) == (True, False)
    assert again.order == created.order

    with pytest.raises(grpc.aio.AioRpcError) as conflict:
        await order_api.stub.CreateOrder(
            order_pb2.CreateOrderRequest(id="shop-0001", total_fee=991)
        )
    assert conflict.value.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_create_order_names_every_invalid_field(order_api: RunningApi) -> None:
    request = order_pb2.CreateOrderRequest(
        id="bad id!",
        total_fee=0,
        description="好" * 43,  # 129 bytes of UTF-8
        attach="x" * 128,
        expire_time=timestamp(datetime.now(UTC) - timedelta(seconds=1)),
    )
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await order_api.stub.CreateOrder(request)
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(_violations(invalid.value)) == {
        "id",
        "total_fee",
        "description",
        "attach",
        "expire_time",
    }

    fine = await order_api.stub.CreateOrder(
        order_pb2.CreateOrderRequest(total_fee=1, description="好" * 42, attach="x" * 127)
    )
    assert fine.created


async def test_get_order_answers_from_redis_first(order_api: RunningApi, database_url: str) -> None:
    created = await order_api.stub.CreateOrder(order_pb2.CreateOrderRequest(total_fee=5))
    with psycopg.connect(database_url) as conn:
        conn.execute("DELETE FROM orders WHERE id = %s", (created.order.id,))
    answer = await order_api.stub.GetOrder(order_pb2.GetOrderRequest(id=created.order.id))
    assert answer.order == created.order


async def test_get_order_falls_back_to_postgres_and_repairs_the_snapshot(
    order_api: RunningApi, database_url: str, redis_url: str
) -> None:
    order_id = insert_order(database_url, total_fee=321)
    answer = await order_api.stub.GetOrder(order_pb2.GetOrderRequest(id=order_id))
    assert (answer.order.id, answer.order.total_fee) == (order_id, 321)
    redis = redis_sync.Redis.from_url(redis_url)
    snapshot = redis.hgetall(snapshot_key(order_id))
    assert (snapshot[b"version"], snapshot[b"status"]) == (b"1", b"PENDING")
    assert json.loads(snapshot[b"order"])["total_fee"] == 321

    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await order_api.stub.GetOrder(order_pb2.GetOrderRequest(id="no-such-order"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as empty:
        await order_api.stub.GetOrder(order_pb2.GetOrderRequest(id=""))
    assert empty.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_orders_are_created_and_read_while_redis_is_down(
    database_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
    fake_payments: FakePayments,
) -> None:
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    settings = make_api_settings(
        database_url, dead_redis, kafka_bootstrap, order_topics, fake_payments.target
    )
    async with running_api(settings) as api:
        created = await api.stub.CreateOrder(order_pb2.CreateOrderRequest(total_fee=77))
        assert created.created
        read = await api.stub.GetOrder(order_pb2.GetOrderRequest(id=created.order.id))
        assert read.order == created.order


async def test_cancel_closes_at_wechat_and_answers_with_the_closed_order(
    order_api: RunningApi,
    running_worker: InProcessWorker,
    fake_payments: FakePayments,
    database_url: str,
) -> None:
    created = await order_api.stub.CreateOrder(order_pb2.CreateOrderRequest(total_fee=100))
    answer = await order_api.stub.CancelOrder(
        order_pb2.CancelOrderRequest(id=created.order.id), timeout=10
    )
    assert answer.outcome == order_pb2.CANCEL_OUTCOME_CLOSED
    assert answer.order.status == order_pb2.ORDER_STATUS_CLOSED
    assert answer.order.version == 2
    assert fake_payments.servicer.closed == [created.order.id]
    events = outbox_events(database_url, created.order.id)
    assert [(e.WhichOneof("kind"), e.closed.reason) for e in events] == [("closed", "cancelled")]

    again = await order_api.stub.CancelOrder(order_pb2.CancelOrderRequest(id=created.order.id))
    assert again.outcome == order_pb2.CANCEL_OUTCOME_ALREADY_FINAL
    assert fake_payments.servicer.closed == [created.order.id]


async def test_cancel_of_an_order_wechat_says_is_paid_ends_paid(
    order_api: RunningApi, running_worker: InProcessWorker, fake_payments: FakePayments
) -> None:
    fake_payments.servicer.close_answer = "paid"
    fake_payments.servicer.paid_fee = 250
    created = await order_api.stub.CreateOrder(order_pb2.CreateOrderRequest(total_fee=250))
    answer = await order_api.stub.CancelOrder(
        order_pb2.CancelOrderRequest(id=created.order.id), timeout=10
    )
    assert answer.outcome == order_pb2.CANCEL_OUTCOME_PAID
    assert answer.order.status == order_pb2.ORDER_STATUS_PAID
    assert answer.order.transaction_id == f"4200{created.order.id}"


async def test_cancel_of_an_order_wechat_never_saw_closes_it(
    order_api: RunningApi, running_worker: InProcessWorker, fake_payments: FakePayments
) -> None:
    fake_payments.servicer.close_answer = "not_found"
    created = await order_api.stub.CreateOrder(order_pb2.CreateOrderRequest(total_fee=10))
    answer = await order_api.stub.CancelOrder(
        order_pb2.CancelOrderRequest(id=created.order.id), timeout=10
    )
    assert answer.outcome == order_pb2.CANCEL_OUTCOME_CLOSED
    assert answer.order.status == order_pb2.ORDER_STATUS_CLOSED


async def test_cancel_reports_nothing_when_payment_service_is_unavailable(
    order_api: RunningApi,
    fake_payments: FakePayments,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
) -> None:
    fake_payments.servicer.close_answer = "unavailable"
    created = await order_api.stub.CreateOrder(order_pb2.CreateOrderRequest(total_fee=10))
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await order_api.stub.CancelOrder(order_pb2.CancelOrderRequest(id=created.order.id))
    assert failed.value.code() == grpc.StatusCode.UNAVAILABLE
    assert await read_topic(kafka_bootstrap, order_topics.observations, expect=0, timeout=1) == []

    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await order_api.stub.CancelOrder(order_pb2.CancelOrderRequest(id="no-such-order"))
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


async def test_cancel_without_a_worker_answers_within_the_deadline_with_the_report_sent(
    order_api: RunningApi, kafka_bootstrap: str, order_topics: OrderTopics
) -> None:
    created = await order_api.stub.CreateOrder(order_pb2.CreateOrderRequest(total_fee=10))
    answer = await order_api.stub.CancelOrder(
        order_pb2.CancelOrderRequest(id=created.order.id), timeout=1.5
    )
    assert answer.outcome == order_pb2.CANCEL_OUTCOME_CLOSED
    assert answer.order.status == order_pb2.ORDER_STATUS_PENDING
    records = await read_topic(kafka_bootstrap, order_topics.observations, expect=1)
    assert len(records) == 1
    observed = events_pb2.PaymentObserved.FromString(records[0].value)
    assert (observed.out_trade_no, observed.source) == (
        created.order.id,
        events_pb2.OBSERVATION_SOURCE_CANCEL,
    )


async def test_a_refund_overtaken_by_a_concurrent_one_is_asked_again_naming_it(
    order_api: RunningApi, fake_payments: FakePayments, database_url: str
) -> None:
    """API v3 lists no refunds by order: PaymentService refuses a refund when the order has one
    the request did not name. Two refunds of one order at once, the later reserved one reaching
    WeChat first, used to end with the earlier one refused though both fit."""
    order_id = insert_order(database_url, total_fee=1000, status="PAID")
    first, second = f"{order_id}-1", f"{order_id}-2"

    async def overtaken(request: payment_pb2.RefundRequest) -> str:
        if request.out_refund_no == first and not request.other_out_refund_nos:
            overtaking = order_pb2.RefundOrderRequest(
                id=order_id, out_refund_no=second, refund_fee=400
            )
            await order_api.stub.RefundOrder(overtaking)
            return "refunds_unknown"
        return "accept"

    fake_payments.servicer.before_refund_answer = overtaken
    answer = await order_api.stub.RefundOrder(
        order_pb2.RefundOrderRequest(id=order_id, out_refund_no=first, refund_fee=400)
    )
    assert answer.refund.out_refund_no == first
    assert fake_payments.servicer.refunds_asked == [
        (first, []),
        (second, [first]),
        (first, [second]),
    ]
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT out_refund_no, refund_id FROM refunds WHERE order_id = %s ORDER BY 1",
            (order_id,),
        ).fetchall()
    assert rows == [(first, f"50{first}"), (second, f"50{second}")]
