"""Issue 15, defect 3: v2 signatures cover trimmed values (like the Java SDK), so a captured
genuine notify with whitespace padded into its values, or with an added whitespace-only field,
still verifies. The rule (payment/wechatpay/signing.py ``signed_fields``): a received message is
read as its signature covers it, so every such copy is the genuine notify, field for field, with
its observation id — one fact, never a second one."""

from __future__ import annotations

import pytest

from payment.wechatpay import xml_codec
from payment.wechatpay.signing import SignType, sign
from paystream.events.v1 import events_pb2
from tests.conftest import TopicFactory
from tests.fixtures.gateway import API_KEY, gateway_settings, notify_fields, running_gateway
from tests.kafka_reader import read_records

NOTIFY = "/wechatpay/v2/notify"
GENUINE = notify_fields("order-pad-1", 1000, transaction_id="4200001234202612020000000042")

PADDED: dict[str, dict[str, str]] = {
    "out_trade_no with a trailing space": {"out_trade_no": "order-pad-1 "},
    "transaction_id between tabs": {"transaction_id": "\t4200001234202612020000000042\t"},
    "total_fee with a leading space": {"total_fee": " 1000"},
    "fee_type with a newline": {"fee_type": "CNY\n"},
    "an added whitespace-only err_code": {"err_code": " "},
    "result_code padded": {"result_code": " SUCCESS"},
}


def _body(fields: dict[str, str], signature: str) -> bytes:
    return xml_codec.encode({**fields, "sign": signature})


@pytest.mark.parametrize("sign_type", [SignType.MD5, SignType.HMAC_SHA256])
async def test_padded_copies_of_a_genuine_notify_are_the_genuine_fact(
    kafka_bootstrap: str, kafka_topics: TopicFactory, sign_type: SignType
) -> None:
    topic = kafka_topics("observations", partitions=1)
    genuine = {**GENUINE, "sign_type": sign_type.value}
    signature = sign(genuine, API_KEY, sign_type)
    bodies = [_body(genuine, signature)] + [
        _body({**genuine, **padding}, signature) for padding in PADDED.values()
    ]
    async with running_gateway(gateway_settings(kafka_bootstrap, topic)) as gateway:
        answers = [await gateway.post(NOTIFY, content=body) for body in bodies]
    assert [answer.status_code for answer in answers] == [200] * len(bodies)

    records = read_records(kafka_bootstrap, topic, expect=len(bodies))
    observed = [events_pb2.PaymentObserved.FromString(record.value) for record in records]
    assert [o.raw_payload for o in observed] == bodies
    facts = {
        (
            o.observation_id,
            o.out_trade_no,
            o.transaction_id,
            o.total_fee,
            o.currency,
            o.err_code,
            o.trade_state,
        )
        for o in observed
    }
    first = observed[0]
    assert facts == {
        (
            first.observation_id,
            "order-pad-1",
            "4200001234202612020000000042",
            1000,
            "CNY",
            "",
            first.trade_state,
        )
    }
    assert {record.key for record in records} == {b"order-pad-1"}
