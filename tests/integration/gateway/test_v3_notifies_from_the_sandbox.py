"""The gateway on a real port receiving the sandbox's v3 notifies: the genuine one becomes exactly
one record (204 after the ack); WeChat's probe and every tampered variant the sandbox can send
are refused and produce nothing; both key modes and the switch between them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import uvicorn
from pydantic import SecretStr

from callback_gateway.__main__ import bootstrap
from callback_gateway.settings import GatewaySettings
from devstack.ports import free_port
from payment.wechatpay import RetryPolicy
from payment.wechatpay_v3 import WeChatPayV3Client
from paystream.events.v1 import events_pb2
from paystream.payment.v1 import types_pb2
from tests.conftest import TopicFactory
from tests.fixtures.sandbox import SandboxControl, SandboxHandle, all_finished
from tests.kafka_reader import read_records

EXPECTED_REFUSALS = {
    "stale_timestamp": 401,
    "future_timestamp": 401,
    "unknown_serial": 401,
    "wrong_key": 401,
    "body": 401,
    "ciphertext": 401,
    "nonce": 401,
    "unsigned": 401,
    "mchid": 403,
    "appid": 403,
}


class _Server(uvicorn.Server):
    """Leaves the process's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def served(settings: GatewaySettings) -> AsyncIterator[str]:
    """`python -m callback_gateway`'s app on a free port; yields the v3 notify URL."""
    port = free_port()
    config = uvicorn.Config(
        bootstrap(settings), host="127.0.0.1", port=port, lifespan="on", log_config=None
    )
    server = _Server(config)
    task = asyncio.get_running_loop().create_task(server.serve())
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "the gateway did not start"
        yield f"http://127.0.0.1:{port}/wechatpay/v3/notify"
    finally:
        server.should_exit = True
        await task


def _settings(
    sandbox: SandboxHandle, bootstrap_servers: str, topic: str, **v3: Any
) -> GatewaySettings:
    files = sandbox.v3_files
    values: dict[str, Any] = {
        "wechatpay_appid": sandbox.appid,
        "wechatpay_mch_id": sandbox.mch_id,
        "wechatpay_api_key": SecretStr(sandbox.api_key),
        "wechatpay_v3_api_key": SecretStr(sandbox.v3_api_key),
        "wechatpay_v3_public_key": files.public_key,
        "wechatpay_v3_public_key_id": files.read_public_key_id(),
        "kafka_bootstrap_servers": bootstrap_servers,
        "kafka_topic_observations": topic,
        "gateway_ack_timeout_seconds": 2.0,
        **v3,
    }
    return GatewaySettings(**values)


async def _v3_order(sandbox: SandboxHandle, notify_url: str, total_fee: int = 100) -> str:
    out_trade_no = f"gw3{free_port()}{id(notify_url) % 10**6}"
    config = sandbox.wechatpay_v3_config(
        certificates=True, notify_url=notify_url, refund_notify_url=notify_url
    )
    async with WeChatPayV3Client.open(config, retry=RetryPolicy(max_attempts=1)) as client:
        await client.unified_order_native(out_trade_no=out_trade_no, total_fee=total_fee, body="b")
    return out_trade_no


async def test_only_the_genuine_notify_gets_through_probe_and_tampering_do_not(
    sandbox: SandboxHandle,
    sandbox_control: SandboxControl,
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
) -> None:
    topic = kafka_topics("observations", partitions=1)
    async with served(_settings(sandbox, kafka_bootstrap, topic)) as url:
        out_trade_no = await _v3_order(sandbox, url, 777)
        paid = await sandbox_control.pay(
            out_trade_no, probe_first=True, tamper_first=list(EXPECTED_REFUSALS)
        )
        deliveries = await sandbox_control.wait_for_deliveries(out_trade_no, all_finished)
    probe, *tampered, genuine = deliveries
    assert len(paid["deliveries"]) == 2 + len(EXPECTED_REFUSALS)
    assert (probe["kind"], probe["state"], probe["attempts"][0]["http_status"]) == (
        "probe",
        "rejected",
        401,
    )
    refused = {d["tamper"]: d["attempts"][0]["http_status"] for d in tampered}
    assert refused == EXPECTED_REFUSALS
    assert all(d["state"] == "rejected" for d in tampered)
    assert all('"code":"FAIL"' in d["attempts"][0]["reply_excerpt"] for d in tampered)
    assert (genuine["state"], [a["http_status"] for a in genuine["attempts"]]) == (
        "delivered",
        [204],
    )
    (record,) = read_records(kafka_bootstrap, topic)
    observed = events_pb2.PaymentObserved.FromString(record.value)
    assert record.key == out_trade_no.encode()
    assert (observed.trade_state, observed.total_fee) == (types_pb2.TRADE_STATE_SUCCESS, 777)
    assert observed.transaction_id == paid["order"]["transaction_id"]
    assert observed.raw_payload_format == "wechatpay.v3.json"


def _refund_delivered(deliveries: list[Any]) -> bool:
    return any(d["kind"] == "refund" and d["state"] == "delivered" for d in deliveries)


async def test_a_refund_settles_into_a_refund_observation(
    sandbox: SandboxHandle,
    sandbox_control: SandboxControl,
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
) -> None:
    topic = kafka_topics("observations", partitions=1)
    async with served(_settings(sandbox, kafka_bootstrap, topic)) as url:
        out_trade_no = await _v3_order(sandbox, url)
        await sandbox_control.pay(out_trade_no, delivery="drop")
        config = sandbox.wechatpay_v3_config(refund_notify_url=url)
        async with WeChatPayV3Client.open(config) as client:
            await client.refund(
                out_trade_no=out_trade_no,
                out_refund_no=f"{out_trade_no}-r",
                total_fee=100,
                refund_fee=25,
            )
        await sandbox_control.wait_for_deliveries(out_trade_no, _refund_delivered)
    # Read only once the gateway answered: the reader blocks the loop the gateway runs on.
    (record,) = read_records(kafka_bootstrap, topic, expect=1)
    observed = events_pb2.PaymentObserved.FromString(record.value)
    assert observed.trade_state == types_pb2.TRADE_STATE_REFUND
    assert (observed.refund.out_refund_no, observed.refund.refund_fee) == (f"{out_trade_no}-r", 25)
    assert observed.refund.refund_status == types_pb2.REFUND_STATUS_SUCCESS


@pytest.mark.parametrize(
    ("mode", "sources"),
    [
        ("certificate", {"wechatpay_v3_public_key": None, "wechatpay_v3_public_key_id": None}),
        ("both", {}),
    ],
    ids=["platform certificates", "switching: both"],
)
async def test_the_gateway_verifies_in_certificate_mode_and_during_a_switch(
    mode: str,
    sources: dict[str, Any],
    sandbox: SandboxHandle,
    sandbox_control: SandboxControl,
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
) -> None:
    topic = kafka_topics("observations", partitions=1)
    await sandbox_control.set_v3(key_mode=mode)
    files = sandbox.v3_files
    settings = _settings(
        sandbox,
        kafka_bootstrap,
        topic,
        wechatpay_v3_platform_certificates=True,
        wechatpay_v3_private_key=files.merchant_key,
        wechatpay_v3_cert_serial=files.read_serial(),
        wechatpay_base_url=sandbox.base_url,
        **sources,
    )
    async with served(settings) as url:
        out_trade_no = await _v3_order(sandbox, url)
        await sandbox_control.pay(out_trade_no, copies=2)
        deliveries = await sandbox_control.wait_for_deliveries(out_trade_no, all_finished)
    records = read_records(kafka_bootstrap, topic, expect=2)
    assert [d["state"] for d in deliveries] == ["delivered", "delivered"]
    assert [len(d["attempts"]) for d in deliveries] == [1, 1]
    ids = {events_pb2.PaymentObserved.FromString(r.value).observation_id for r in records}
    assert (len(records), len(ids)) == (2, 1)
