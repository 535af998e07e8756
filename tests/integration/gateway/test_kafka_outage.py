"""With the broker gone, notifies answer FAIL within the deadline and readiness goes false;
once it is back, the same gateway (no restart) answers SUCCESS again."""

from __future__ import annotations

import signal
import time

from confluent_kafka import Producer

from devstack.private import private_kafka
from runtime.kafka import producer_config
from tests.fixtures.gateway import gateway_settings, notify_fields, running_gateway, signed_body
from tests.kafka_reader import read_records

NOTIFY = "/wechatpay/v2/notify"


async def test_broker_stopped_mid_test_fails_fast_then_recovers_without_restart() -> None:
    with private_kafka() as broker:
        broker.ensure_topics({"observations": 1, "warm-up": 1})
        # A brand-new cluster allocates its first producer id slowly; get that out of the way.
        warm_up = Producer(producer_config(broker.bootstrap))
        warm_up.produce("warm-up", b"x")
        assert warm_up.flush(30) == 0
        settings = gateway_settings(
            broker.bootstrap, "observations", gateway_ack_timeout_seconds=1.5
        )
        async with running_gateway(settings) as gateway:
            before = await gateway.post(NOTIFY, content=signed_body(notify_fields("order-9001")))
            assert before.status_code == 200

            broker.stop(sig=signal.SIGKILL)
            started = time.monotonic()
            during = await gateway.post(NOTIFY, content=signed_body(notify_fields("order-9002")))
            waited = time.monotonic() - started
            ready_during = await gateway.get("/readyz")

            broker.start()
            ready_after = await gateway.get("/readyz")
            after = await gateway.post(NOTIFY, content=signed_body(notify_fields("order-9003")))

        assert during.status_code == 503
        assert b"FAIL" in during.content
        assert waited < 4.5, "answered within WeChat's 5 s"
        assert ready_during.status_code == 503
        assert ready_after.status_code == 200
        assert after.status_code == 200
        keys = {r.key for r in read_records(broker.bootstrap, "observations", idle=2.0)}
        assert {b"order-9001", b"order-9003"} <= keys
