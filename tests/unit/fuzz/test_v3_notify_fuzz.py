"""Property-based fuzzing of the v3 notify handler (read → verify → decrypt → map → publish →
answer) and of the v3 client's answers (issue 15, defect 5). Whatever comes in — random
bytes, any header values, signed envelopes and resources holding any JSON, byte edits of a
signed resource — no exception escapes, the answer is 204 or a documented 4xx (the client: a
result or an error the PaymentService maps), and a record (a result) comes out only for what the
documented format, checked independently (``v3_oracle``), allows."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from payment.service.errors import failure_for
from payment.wechatpay import errors as wx
from payment.wechatpay_v3.signing import response_message, sign
from paystream.events.v1 import events_pb2
from tests.fixtures.gateway import (
    APPID,
    MCH_ID,
    V3_PUB_KEY_ID,
    FakeProducer,
    v3_body,
    v3_headers,
    v3_platform_key,
    v3_refund,
    v3_transaction,
)
from tests.unit.fuzz.handler import Answer, post, v3_endpoint
from tests.unit.fuzz.profiles import FUZZ, TIMEOUT
from tests.unit.fuzz.strategies import mutated
from tests.unit.fuzz.v3_oracle import (
    payment_notify_is_valid,
    plain_json,
    query_answer_is_valid,
    refund_notify_is_valid,
)
from tests.unit.wechatpay_v3.fake_wechat import NOW, PLATFORM_KEY, PUB_KEY_ID, merchant_client

pytestmark = pytest.mark.timeout(TIMEOUT)

REFUSALS = {400, 401, 403, 413}
EDGE_TEXT = [
    "",
    " ",
    "0",
    "-1",
    "¹²³",
    "٣",
    "CNY",
    "USD",
    "cny",
    "SUCCESS",
    "NOTPAY",
    "REFUND",
    "CLOSED",
    "2026-11-27T20:01:02+08:00",
    "2026-11-27T12:01:02Z",
    "0001-01-01T00:00:00+08:00",
    "9999-12-31T23:59:59-08:00",
    "2026-02-30T20:01:02+08:00",
    "2026-W48-5T20:01:02+08:00",
    "\ud800",
    "a\x00b",
    "order 1",
    "x" * 65,
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, 10**16 - 1, 10**16, 2**63]),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(EDGE_TEXT),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["total", "currency", "openid", "x"]), children, max_size=3
        )
    ),
    max_leaves=8,
)
TRANSACTION_FIELDS = [
    "out_trade_no",
    "transaction_id",
    "trade_state",
    "trade_state_desc",
    "success_time",
    "attach",
    "trade_type",
    "bank_type",
    "payer",
    "payer.openid",
    "amount",
    "amount.total",
    "amount.payer_total",
    "amount.currency",
    "amount.payer_currency",
    "promotion_detail",
]
REFUND_FIELDS = [
    "out_trade_no",
    "out_refund_no",
    "refund_id",
    "transaction_id",
    "refund_status",
    "success_time",
    "user_received_account",
    "amount",
    "amount.total",
    "amount.refund",
    "amount.settlement_refund",
]


def _with(resource: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``resource`` with each ``a.b`` path set (an intermediate that is no object is replaced)."""
    result: dict[str, Any] = json.loads(json.dumps(resource))
    for path, value in overrides.items():
        head, _, tail = path.partition(".")
        if tail:
            inner = result.get(head)
            result[head] = {**(inner if isinstance(inner, dict) else {}), tail: value}
        else:
            result[head] = value
    return result


def _encoded(value: Any) -> bytes:
    # ensure_ascii: a lone surrogate is written as \ud800, as a hostile sender could.
    return json.dumps(value).encode()


def _v3_post(body: bytes, headers: dict[str, str]) -> Answer:
    producer = FakeProducer()
    return post(v3_endpoint(producer), producer, body, headers)


def _check(answer: Answer) -> None:
    assert answer.status == 204 or answer.status in REFUSALS, answer
    if answer.status != 204:
        assert answer.produced == []
        assert json.loads(answer.body)["code"] == "FAIL"
    else:
        assert len(answer.produced) == 1


def _ours(resource: Any) -> bool:
    return isinstance(resource, dict) and (
        resource.get("mchid"),
        resource.get("appid", APPID),
    ) == (MCH_ID, APPID)


@FUZZ
@given(st.binary(max_size=2048))
def test_signed_random_bytes_are_refused(body: bytes) -> None:
    answer = _v3_post(body, v3_headers(body))
    _check(answer)
    assert answer.status in REFUSALS


@FUZZ
@given(
    header=st.sampled_from(
        ["Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial", "Wechatpay-Signature-Type"]
    ),
    value=st.text(alphabet=st.characters(max_codepoint=0xFF, blacklist_characters="\r\n\x00"))
    | st.sampled_from(["¹²³", "½", "+1", "1_0", "0x10", "1e9", str(10**13)]),
)
@example(header="Wechatpay-Timestamp", value="¹²³")
def test_any_header_value_is_answered_and_only_a_good_one_is_taken(header: str, value: str) -> None:
    body = v3_body(v3_transaction("order-v3-fuzz-h"))
    stamp = value if header == "Wechatpay-Timestamp" else str(int(time.time()))
    nonce = value if header == "Wechatpay-Nonce" else secrets.token_hex(16)
    headers = {
        "Wechatpay-Timestamp": stamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": V3_PUB_KEY_ID,
        # Signed over the value as it is (its UTF-8 bytes, as the receiver rebuilds them).
        "Wechatpay-Signature": sign(response_message(stamp, nonce, body), v3_platform_key()),
    }
    if header in ("Wechatpay-Serial", "Wechatpay-Signature-Type"):
        headers[header] = value
    answer = _v3_post(body, headers)
    _check(answer)
    if answer.status == 204:
        taken = headers[header].strip()  # as the gateway reads headers
        if header == "Wechatpay-Timestamp":
            assert taken.isascii()
            assert taken.isdigit()
            assert abs(int(taken) - time.time()) < 300
        elif header == "Wechatpay-Serial":
            assert taken == V3_PUB_KEY_ID
        elif header == "Wechatpay-Signature-Type":
            assert taken in ("", "WECHATPAY2-SHA256-RSA2048")


@FUZZ
@given(overrides=st.dictionaries(st.sampled_from(TRANSACTION_FIELDS), json_values, max_size=5))
@example(overrides={"success_time": "0001-01-01T00:00:00+08:00"})
@example(overrides={"amount.currency": "USD"})
@example(overrides={"trade_state": "NOTPAY", "transaction_id": None, "success_time": 5})
def test_signed_transactions_with_any_values_get_a_record_only_when_well_formed(
    overrides: dict[str, Any],
) -> None:
    resource = _with(v3_transaction("order-v3-fuzz-t", 1000), overrides)
    plaintext = _encoded(resource)
    body = v3_body(plaintext)
    answer = _v3_post(body, v3_headers(body))
    _check(answer)
    valid = payment_notify_is_valid(plain_json(plaintext))
    assert (answer.status == 204) == valid, (answer, resource)
    if valid:
        observed = events_pb2.PaymentObserved.FromString(answer.produced[0])
        assert observed.out_trade_no == resource["out_trade_no"]
        assert observed.total_fee == resource["amount"]["total"]
        assert observed.currency == (resource["amount"].get("currency") or "")


@FUZZ
@given(overrides=st.dictionaries(st.sampled_from(REFUND_FIELDS), json_values, max_size=5))
@example(overrides={"success_time": "0001-01-01T07:59:59+08:00"})
def test_signed_refunds_with_any_values_get_a_record_only_when_well_formed(
    overrides: dict[str, Any],
) -> None:
    resource = _with(v3_refund("order-v3-fuzz-r"), overrides)
    plaintext = _encoded(resource)
    body = v3_body(plaintext, "REFUND.SUCCESS")
    answer = _v3_post(body, v3_headers(body))
    _check(answer)
    valid = refund_notify_is_valid(plain_json(plaintext))
    assert (answer.status == 204) == valid, (answer, resource)
    if valid:
        observed = events_pb2.PaymentObserved.FromString(answer.produced[0])
        assert observed.refund.refund_fee == resource["amount"]["refund"]


PLAINTEXT = json.dumps(v3_transaction("order-v3-fuzz-m", 1000), ensure_ascii=False).encode()


@FUZZ
@given(mutated(PLAINTEXT))
@example(PLAINTEXT)
def test_byte_edits_of_a_signed_resource_get_a_record_only_when_well_formed(
    plaintext: bytes,
) -> None:
    body = v3_body(plaintext)
    answer = _v3_post(body, v3_headers(body))
    _check(answer)
    document = plain_json(plaintext)
    if answer.status == 204:
        assert _ours(document), plaintext
        assert payment_notify_is_valid(document), plaintext


@FUZZ
@given(mutated(v3_body(v3_transaction("order-v3-fuzz-e"))))
def test_byte_edits_of_a_signed_envelope_never_crash_the_handler(body: bytes) -> None:
    _check(_v3_post(body, v3_headers(body)))


# --- the client's answers -----------------------------------------------------------------------

PAID_ANSWER = {**v3_transaction("order-v3-fuzz-q", 250)}


def _signed_answer(body: bytes) -> httpx.Response:
    stamp = str(int(NOW.timestamp()))
    headers = {
        "Wechatpay-Timestamp": stamp,
        "Wechatpay-Nonce": "n0nce",
        "Wechatpay-Serial": PUB_KEY_ID,
        "Wechatpay-Signature": sign(response_message(stamp, "n0nce", body), PLATFORM_KEY),
    }
    return httpx.Response(200, content=body, headers=headers)


class _Client:
    """One v3 client for every example (building one per example is most of the time)."""

    def __init__(self) -> None:
        self.body = b""
        self.runner = asyncio.Runner()
        self.opened = merchant_client(lambda _: _signed_answer(self.body))
        self.client = self.runner.run(self.opened.__aenter__())

    def query(self, body: bytes) -> Any:
        self.body = body

        async def run() -> Any:
            try:
                return await self.client.order_query("order-v3-fuzz-q")
            except wx.WeChatPayError as error:
                return error

        return self.runner.run(run())

    def close(self) -> None:
        self.runner.run(self.opened.__aexit__(None, None, None))
        self.runner.close()


@pytest.fixture(scope="module")
def v3_client() -> Iterator[_Client]:
    client = _Client()
    yield client
    client.close()


def _check_client(result: Any, document: Any) -> None:
    if isinstance(result, wx.WeChatPayError):
        assert failure_for(result) is not None, result
        assert not query_answer_is_valid(document), (result, document)
    else:
        assert query_answer_is_valid(document), document
        assert result.out_trade_no == document["out_trade_no"]


@FUZZ
@given(overrides=st.dictionaries(st.sampled_from(TRANSACTION_FIELDS), json_values, max_size=5))
@example(overrides={"success_time": "0001-01-01T00:00:00+08:00"})
@example(overrides={"trade_state": "NOTPAY", "amount": None, "transaction_id": ""})
def test_query_answers_with_any_values_are_a_result_only_when_well_formed(
    v3_client: _Client, overrides: dict[str, Any]
) -> None:
    body = _encoded(_with(PAID_ANSWER, overrides))
    _check_client(v3_client.query(body), plain_json(body))


@FUZZ
@given(mutated(json.dumps(PAID_ANSWER, ensure_ascii=False).encode()))
def test_byte_edits_of_a_query_answer_are_a_result_only_when_well_formed(
    v3_client: _Client, body: bytes
) -> None:
    _check_client(v3_client.query(body), plain_json(body))
