"""The notify sender: WeChat's schedule (scaled), stop on SUCCESS, and what counts as SUCCESS."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from payment.wechatpay.constants import NOTIFY_RETRY_SCHEDULE
from payment.wechatpay.http import HttpxPoster
from sandbox.deliveries import Delivery, DeliveryLog, DeliveryState, Outcome
from sandbox.notifier import Notifier

SUCCESS = b"<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg>OK</return_msg></xml>"
FAIL = b"<xml><return_code><![CDATA[FAIL]]></return_code><return_msg>busy</return_msg></xml>"
Handler = Callable[[httpx.Request], httpx.Response]


class Receiver:
    """Answers with the scripted responses in order, then SUCCESS; counts what it got."""

    def __init__(self, *script: httpx.Response | Exception) -> None:
        self.script = list(script)
        self.bodies: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(request.content)
        step = self.script.pop(0) if self.script else httpx.Response(200, content=SUCCESS)
        if isinstance(step, Exception):
            raise step
        return step


class Harness:
    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.log = DeliveryLog()

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)

    def notifier(
        self, http: httpx.AsyncClient, time_scale: float, reply_timeout: float = 5.0
    ) -> Notifier:
        return Notifier(
            HttpxPoster(http),
            clock=lambda: datetime(2026, 11, 27, tzinfo=UTC),
            sleep=self.sleep,
            time_scale=time_scale,
            reply_timeout=reply_timeout,
        )

    def delivery(self, kind: str = "payment", copy: int = 0) -> Delivery:
        return self.log.new(
            kind=kind,
            out_trade_no="order-1",
            notify_url="http://merchant/notify",
            body=b"<xml/>",
            created_at=datetime(2026, 11, 27, tzinfo=UTC),
            copy=copy,
        )


@pytest.fixture
def harness() -> Harness:
    return Harness()


async def run(harness: Harness, handler: Handler, time_scale: float = 0.001) -> Delivery:
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        notifier = harness.notifier(http, time_scale=time_scale)
        delivery = harness.delivery()
        await notifier.deliver(delivery)
        return delivery


async def test_a_receiver_that_never_accepts_gets_the_whole_schedule(harness: Harness) -> None:
    receiver = Receiver(*[httpx.Response(200, content=FAIL)] * 100)
    delivery = await run(harness, receiver, time_scale=0.5)
    assert len(receiver.bodies) == 1 + len(NOTIFY_RETRY_SCHEDULE) == 16
    assert harness.sleeps == [wait * 0.5 for wait in NOTIFY_RETRY_SCHEDULE]
    assert sum(NOTIFY_RETRY_SCHEDULE) == 24 * 3600 + 4 * 60
    assert delivery.state is DeliveryState.ABANDONED


async def test_delivery_stops_at_the_first_success(harness: Harness) -> None:
    receiver = Receiver(*[httpx.Response(200, content=FAIL)] * 3)
    delivery = await run(harness, receiver, time_scale=0.001)
    assert [a.outcome for a in delivery.attempts] == [Outcome.FAIL_REPLY] * 3 + [Outcome.SUCCESS]
    assert harness.sleeps == [0.015, 0.015, 0.03]
    assert delivery.state is DeliveryState.DELIVERED


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [
        pytest.param(httpx.Response(200, content=FAIL), Outcome.FAIL_REPLY, id="fail-xml"),
        pytest.param(
            httpx.Response(200, text="success"), Outcome.INVALID_REPLY, id="plain-success"
        ),
        pytest.param(
            httpx.Response(200, text="SUCCESS"), Outcome.INVALID_REPLY, id="plain-SUCCESS"
        ),
        pytest.param(
            httpx.Response(200, text="<html><body>OK</body></html>"), Outcome.FAIL_REPLY, id="html"
        ),
        pytest.param(
            httpx.Response(200, text="<html><body>OK"), Outcome.INVALID_REPLY, id="broken-html"
        ),
        pytest.param(
            httpx.Response(200, json={"return_code": "SUCCESS"}), Outcome.INVALID_REPLY, id="json"
        ),
        pytest.param(httpx.Response(200), Outcome.INVALID_REPLY, id="empty"),
        pytest.param(
            httpx.Response(500, content=SUCCESS), Outcome.HTTP_ERROR, id="success-xml-with-500"
        ),
        pytest.param(httpx.Response(204), Outcome.HTTP_ERROR, id="no-content"),
        pytest.param(httpx.ReadTimeout("slow"), Outcome.TIMEOUT, id="timeout"),
        pytest.param(httpx.ConnectError("refused"), Outcome.CONNECTION_ERROR, id="refused"),
    ],
)
async def test_anything_but_success_xml_is_retried(
    harness: Harness, reply: httpx.Response | Exception, outcome: Outcome
) -> None:
    delivery = await run(harness, Receiver(reply))
    assert [a.outcome for a in delivery.attempts] == [outcome, Outcome.SUCCESS]
    assert delivery.state is DeliveryState.DELIVERED


async def test_a_reply_slower_than_the_reply_timeout_is_a_timeout(harness: Harness) -> None:
    async def slow_then_fast(request: httpx.Request) -> httpx.Response:
        if len(harness.log.of_order("order-1")[0].attempts) == 0:
            await asyncio.sleep(1.0)
        return httpx.Response(200, content=SUCCESS)

    async with httpx.AsyncClient(transport=httpx.MockTransport(slow_then_fast)) as http:
        notifier = harness.notifier(http, time_scale=0.001, reply_timeout=0.05)
        delivery = harness.delivery()
        await notifier.deliver(delivery)
    assert [a.outcome for a in delivery.attempts] == [Outcome.TIMEOUT, Outcome.SUCCESS]


async def test_attempts_record_status_and_an_excerpt_of_the_reply(harness: Harness) -> None:
    delivery = await run(harness, Receiver(httpx.Response(503, text="x" * 500)))
    first = delivery.attempts[0]
    assert (first.number, first.http_status, first.reply_excerpt) == (1, 503, "x" * 200)


async def test_a_probe_goes_first_and_once_then_every_copy(harness: Harness) -> None:
    receiver = Receiver(httpx.Response(401, content=FAIL))
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as http:
        notifier = harness.notifier(http, time_scale=0.001)
        probe = harness.delivery("probe")
        copies = [harness.delivery(copy=n) for n in range(3)]
        notifier.dispatch(copies, probe=probe)
        await notifier.drain()
    assert all(d.state is DeliveryState.DELIVERED for d in copies)
    assert probe.state is DeliveryState.REJECTED
    assert len(probe.attempts) == 1
    assert len(receiver.bodies) == 4


async def test_cancel_all_stops_pending_deliveries(harness: Harness) -> None:
    first_wait = asyncio.Event()

    async def never(_: float) -> None:
        first_wait.set()
        await asyncio.Event().wait()

    receiver = Receiver(httpx.Response(200, content=FAIL))
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as http:
        notifier = Notifier(HttpxPoster(http), clock=lambda: datetime.now(UTC), sleep=never)
        delivery = harness.delivery()
        notifier.dispatch([delivery])
        await first_wait.wait()
        await notifier.cancel_all()
    assert len(delivery.attempts) == 1
    assert delivery.state is DeliveryState.CANCELLED
