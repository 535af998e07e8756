"""Property-based fuzzing of the whole notify handler (read → parse → verify → map → publish →
answer): random bytes, random mutations of a correctly signed notify, correctly signed notifies
with random field values, and notifies signed with the wrong key. Whatever comes in: no
exception escapes, no 5xx (the only 5xx is 503 for Kafka, and this producer always acks), and a
record is produced only for a body whose signature verifies (checked here independently, by
reference §1.2) and whose appid and mch_id are ours."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from payment.wechatpay import xml_codec
from payment.wechatpay.refund_notify import encrypt_req_info
from paystream.events.v1 import events_pb2
from tests.fixtures.gateway import API_KEY, APPID, MCH_ID, FakeProducer, notify_fields, signed_body
from tests.unit.fuzz.handler import (
    Answer,
    payment_endpoint,
    post,
    refund_endpoint,
)
from tests.unit.fuzz.profiles import FUZZ, TIMEOUT
from tests.unit.fuzz.strategies import field_values, mutated

pytestmark = pytest.mark.timeout(TIMEOUT)

REFUSALS = {400, 401, 403, 413}
_JAVA_TRIM = "".join(map(chr, range(0x21)))
VALID = signed_body(notify_fields("order-fuzz-1", 1999))


def _reference_signature_verifies(fields: dict[str, str], key: str) -> bool:
    """Reference §1.2, written out again: sorted non-empty fields except sign, &key=, MD5 or
    HMAC-SHA256 (by sign_type, else by the signature's length), upper-case hex."""
    given_sign = fields.get("sign", "").strip(_JAVA_TRIM)
    declared = fields.get("sign_type", "").strip(_JAVA_TRIM)  # whitespace-only is empty (§7 V4)
    if declared not in ("", "MD5", "HMAC-SHA256"):
        return False
    hmac_type = declared == "HMAC-SHA256" or (not declared and len(given_sign) == 64)
    trimmed = {k: v.strip(_JAVA_TRIM) for k, v in fields.items()}
    text = "&".join(f"{k}={trimmed[k]}" for k in sorted(trimmed) if k != "sign" and trimmed[k])
    message = f"{text}&key={key}".encode()
    if hmac_type:
        expected = hmac.new(key.encode(), message, hashlib.sha256).hexdigest().upper()
    else:
        expected = hashlib.md5(message, usedforsecurity=False).hexdigest().upper()
    return hmac.compare_digest(expected.encode(), given_sign.encode())


def _check_payment_answer(answer: Answer, body: bytes) -> None:
    assert answer.status == 200 or answer.status in REFUSALS, answer
    assert b"<return_code>" in answer.body
    if answer.status != 200:
        assert answer.produced == []
        assert b"FAIL" in answer.body
        return
    assert len(answer.produced) == 1
    fields = xml_codec.parse(body, max_bytes=len(body) + 1)
    assert _reference_signature_verifies(fields, API_KEY), fields
    # The record carries what the signature covers: the values trimmed (issue 15, defect 3).
    signed = {k: v.strip(_JAVA_TRIM) for k, v in fields.items()}
    assert (signed["appid"], signed["mch_id"]) == (APPID, MCH_ID)
    observed = events_pb2.PaymentObserved.FromString(answer.produced[0])
    assert observed.out_trade_no == signed["out_trade_no"]
    assert observed.total_fee == int(signed["total_fee"])
    assert observed.transaction_id == signed.get("transaction_id", "")
    assert observed.err_code == signed.get("err_code", "")
    assert observed.raw_payload == body


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_are_refused_and_produce_nothing(body: bytes) -> None:
    producer = FakeProducer()
    answer = post(payment_endpoint(producer), producer, body)
    _check_payment_answer(answer, body)
    assert answer.status != 200


@FUZZ
@given(mutated(VALID))
@example(VALID)
def test_mutations_of_a_signed_notify_never_produce_an_unverified_record(body: bytes) -> None:
    producer = FakeProducer()
    _check_payment_answer(post(payment_endpoint(producer), producer, body), body)


@FUZZ
@given(
    overrides=st.dictionaries(
        st.sampled_from([*sorted(notify_fields()), "sign_type", "coupon_fee", "x_extra"]),
        field_values,
        max_size=6,
    ),
    hmac_signed=st.booleans(),
    with_sign_type=st.booleans(),
)
@example(overrides={"time_end": "00010101000000"}, hmac_signed=True, with_sign_type=True)
@example(overrides={"time_end": "99991231235959"}, hmac_signed=False, with_sign_type=True)
@example(overrides={"total_fee": "9999999999999999"}, hmac_signed=True, with_sign_type=False)
@example(
    overrides={"out_trade_no": "order-fuzz-2 ", "total_fee": " 1000", "err_code": "\t"},
    hmac_signed=False,
    with_sign_type=True,
)
def test_correctly_signed_notifies_with_any_values_never_crash_the_handler(
    overrides: dict[str, str], hmac_signed: bool, with_sign_type: bool
) -> None:
    """What WeChat itself could sign: the answer is SUCCESS with one faithful record, or a
    refusal with nothing produced (a bad field is refused, never a 500)."""
    from payment.wechatpay.signing import SignType

    fields = notify_fields("order-fuzz-2", 1000) | overrides
    sign_type = SignType.HMAC_SHA256 if hmac_signed else SignType.MD5
    try:
        body = signed_body(fields, sign_type, with_sign_type=with_sign_type)
    except ValueError:
        return  # a value XML cannot carry: no such notify can exist
    producer = FakeProducer()
    _check_payment_answer(post(payment_endpoint(producer), producer, body), body)


@FUZZ
@given(overrides=st.dictionaries(st.sampled_from(sorted(notify_fields())), field_values))
def test_notifies_signed_with_another_key_are_always_refused(overrides: dict[str, str]) -> None:
    fields = notify_fields("order-fuzz-3", 1000) | overrides
    try:
        body = signed_body(fields, key="K" * 32)
    except ValueError:
        return
    producer = FakeProducer()
    answer = post(payment_endpoint(producer), producer, body)
    assert answer.status in REFUSALS
    assert answer.produced == []


@FUZZ
@given(
    inner=st.dictionaries(
        st.sampled_from(
            [
                "out_refund_no",
                "out_trade_no",
                "refund_id",
                "transaction_id",
                "total_fee",
                "refund_fee",
                "refund_status",
                "success_time",
                "settlement_refund_fee",
            ]
        ),
        field_values,
    ),
    right_key=st.booleans(),
)
@example(inner={"success_time": "0001-01-01 00:00:00"}, right_key=True)
def test_refund_notifies_with_any_content_never_crash_the_handler(
    inner: dict[str, str], right_key: bool
) -> None:
    base = {
        "out_refund_no": "refund-1",
        "out_trade_no": "order-1",
        "refund_id": "503",
        "transaction_id": "4200",
        "total_fee": "100",
        "refund_fee": "40",
        "refund_status": "SUCCESS",
        "success_time": "2026-11-27 20:05:06",
    }
    try:
        plaintext = xml_codec.encode(base | inner, root="root")
    except ValueError:
        return
    body = xml_codec.encode(
        {
            "return_code": "SUCCESS",
            "appid": APPID,
            "mch_id": MCH_ID,
            "nonce_str": "n" * 32,
            "req_info": encrypt_req_info(plaintext, API_KEY if right_key else "K" * 32),
        }
    )
    producer = FakeProducer()
    answer = post(refund_endpoint(producer), producer, body)
    assert answer.status == 200 or answer.status in REFUSALS, answer
    assert len(answer.produced) == (1 if answer.status == 200 else 0)
    if answer.status == 200:
        assert right_key
        observed = events_pb2.PaymentObserved.FromString(answer.produced[0])
        assert observed.refund.out_refund_no == (base | inner)["out_refund_no"]


@FUZZ
@given(st.binary(max_size=4096))
def test_random_refund_bodies_are_refused(body: bytes) -> None:
    producer = FakeProducer()
    answer = post(refund_endpoint(producer), producer, body)
    assert answer.status in REFUSALS
    assert answer.produced == []
