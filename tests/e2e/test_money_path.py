"""Money-path regressions where they cross processes: WeChat (the sandbox) → the callback
gateway (a real process) → Kafka → the order worker → PostgreSQL, and `order.events`.

- A refund whose notify arrives before its payment's ends the order as WeChat knows it
  (REFUNDED / PARTIALLY_REFUNDED, refunded_fee right), with OrderPaid then OrderRefunded.
- A correctly signed notify in another currency is acknowledged (WeChat must stop sending it)
  but pays nothing: the order keeps waiting with a CURRENCY_MISMATCH anomaly.
"""

from __future__ import annotations

import secrets

import httpx

from order.domain import Anomaly, Status
from payment.wechatpay import RetryPolicy, WeChatPayV2Client
from paystream.events.v1 import events_pb2
from paystream.order.v1 import order_pb2
from tests.fixtures.order import (
    InProcessWorker,
    OrderTopics,
    RunningApi,
    eventually,
    load_order,
    outbox_events,
    read_topic,
    scalar,
)
from tests.fixtures.sandbox import REFUND_DELAY_SECONDS, SandboxControl, SandboxHandle
from tests.integration.sandbox import independent

LATE_PAYMENT_NOTIFY_MS = int((REFUND_DELAY_SECONDS + 4) * 1000)


async def _placed(
    order_api: RunningApi, sandbox: SandboxHandle, total_fee: int, notify: str
) -> str:
    created = await order_api.stub.CreateOrder(
        order_pb2.CreateOrderRequest(total_fee=total_fee, description="乌龙茶 250g")
    )
    order_id = created.order.id
    async with WeChatPayV2Client.open(
        sandbox.wechatpay_config(notify_url=notify), retry=RetryPolicy(base_delay=0.01)
    ) as wechat:
        await wechat.unified_order_native(
            out_trade_no=order_id, total_fee=total_fee, body=created.order.description
        )
    return order_id


async def _order_events(
    kafka_bootstrap: str, topic: str, expect: int
) -> list[events_pb2.OrderEvent]:
    return [
        events_pb2.OrderEvent.FromString(r.value)
        for r in await read_topic(kafka_bootstrap, topic, expect=expect)
    ]


async def test_refunds_notified_before_their_payment_end_the_order_as_wechat_knows_it(
    sandbox: SandboxHandle,
    sandbox_control: SandboxControl,
    gateway_base: str,
    order_api: RunningApi,
    running_worker: InProcessWorker,
    database_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
) -> None:
    order_id = await _placed(order_api, sandbox, 1000, f"{gateway_base}/wechatpay/v2/notify")
    # The payment notify is late (WeChat waits >= 15 s after a 503), and meanwhile someone
    # refunds the order in full, in two parts.
    await sandbox_control.pay(order_id, delay_ms=LATE_PAYMENT_NOTIFY_MS)
    async with WeChatPayV2Client.open(
        sandbox.wechatpay_config(tls=True), retry=RetryPolicy(base_delay=0.01)
    ) as wechat:
        for number, fee in ((1, 300), (2, 700)):
            await wechat.refund(
                out_trade_no=order_id,
                out_refund_no=f"{order_id}-{number}",
                total_fee=1000,
                refund_fee=fee,
                notify_url=f"{gateway_base}/wechatpay/v2/refund-notify",
            )

    def refunds_kept() -> bool:
        count = scalar(
            database_url,
            "SELECT count(*) FROM refunds WHERE order_id = %s AND status = 'SUCCESS'",
            order_id,
        )
        return bool(count == 2)

    await eventually(refunds_kept, 30)
    waiting = load_order(database_url, order_id)
    assert waiting is not None
    assert (waiting.status, waiting.refunded_fee) == (Status.PENDING, 0)

    await eventually(lambda: load_order(database_url, order_id).status is Status.REFUNDED, 30)  # type: ignore[union-attr]
    order = load_order(database_url, order_id)
    assert order is not None
    assert (order.refunded_fee, order.anomaly) == (1000, None)
    events = await _order_events(kafka_bootstrap, order_topics.events, expect=3)
    assert [e.WhichOneof("kind") for e in events] == ["paid", "refunded", "refunded"]
    assert len({e.event_id for e in events}) == 3
    assert [(e.refunded.refund_fee, e.refunded.refunded_fee) for e in events[1:]] == [
        (300, 300),
        (700, 1000),
    ]
    assert events[-1].refunded.full
    # Every copy that WeChat delivers later changes nothing.
    assert len(outbox_events(database_url, order_id)) == 3


async def test_a_signed_notify_in_another_currency_is_acknowledged_but_pays_nothing(
    sandbox: SandboxHandle,
    gateway_base: str,
    order_api: RunningApi,
    running_worker: InProcessWorker,
    database_url: str,
) -> None:
    created = await order_api.stub.CreateOrder(order_pb2.CreateOrderRequest(total_fee=1999))
    order_id = created.order.id
    fields = {
        "return_code": "SUCCESS",
        "appid": sandbox.appid,
        "mch_id": sandbox.mch_id,
        "nonce_str": secrets.token_hex(16),
        "result_code": "SUCCESS",
        "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
        "trade_type": "NATIVE",
        "bank_type": "OTHERS",
        "total_fee": "1999",
        "fee_type": "USD",
        "cash_fee": "1999",
        "cash_fee_type": "USD",
        "transaction_id": "4200009999202612020000000001",
        "out_trade_no": order_id,
        "time_end": "20261202101500",
        "sign_type": "MD5",
    }
    # Signed by the test's own implementation of WeChat's rule, not by the code under test.
    fields["sign"] = independent.signature(fields, sandbox.api_key, "MD5")

    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{gateway_base}/wechatpay/v2/notify", content=independent.to_xml(fields)
        )
    assert answer.status_code == 200
    assert independent.from_xml(answer.content)["return_code"] == "SUCCESS"

    await eventually(
        lambda: load_order(database_url, order_id).anomaly is Anomaly.CURRENCY_MISMATCH,  # type: ignore[union-attr]
        30,
    )
    order = load_order(database_url, order_id)
    assert order is not None
    assert (order.status, order.transaction_id) == (Status.PENDING, None)
    events = outbox_events(database_url, order_id)
    assert [(e.WhichOneof("kind"), e.anomaly.anomaly) for e in events] == [
        ("anomaly", order_pb2.ORDER_ANOMALY_CURRENCY_MISMATCH)
    ]
