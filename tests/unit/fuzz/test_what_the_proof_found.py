"""Regression tests for what the proofs of issues 10 and 15 found (RELIABILITY.md, "What the
proof found"): each input once crashed a handler (an exception nobody mapped: HTTP 500 or gRPC
UNKNOWN) and is now refused with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from order.domain import new_order
from payment.service import validation
from payment.wechatpay import mapping
from payment.wechatpay_v3 import PublicKeySource, SignatureVerifier, StaleTimestampError
from payment.wechatpay_v3.mapping import parse_time
from payment.wechatpay_v3.verification import SignedMessage
from tests.fixtures.gateway import V3_PUB_KEY_ID, v3_platform_key

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", ["00010101000000", "00010101075959"])
def test_a_beijing_time_before_year_one_in_utc_is_a_mapping_error(value: str) -> None:
    with pytest.raises(mapping.MappingError):
        mapping.parse_beijing_compact(value)


def test_a_refund_time_before_year_one_in_utc_is_a_mapping_error() -> None:
    with pytest.raises(mapping.MappingError):
        mapping.parse_refund_time("0001-01-01 07:59:59")


def test_the_earliest_beijing_time_utc_can_hold_still_parses() -> None:
    assert mapping.parse_beijing_compact("00010101080000") == datetime(1, 1, 1, tzinfo=UTC)


def _native(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "out_trade_no": "order-0001",
        "total_fee": 1,
        "description": "tea",
        "attach": "",
        "expire_time": None,
        "now": NOW,
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("description", {"description": " \t "}),
        ("description", {"description": "tea\x00"}),
        ("attach", {"attach": "\x1b[31m"}),
        ("product_id", {"product_id": "p" * 33}),
        ("expire_time", {"expire_time": datetime(9999, 12, 31, 16, 0, tzinfo=UTC)}),
    ],
)
def test_create_native_names_what_wechat_could_never_take(
    field: str, overrides: dict[str, object]
) -> None:
    with pytest.raises(validation.Violations) as raised:
        validation.check_create_native(**_native(**overrides))  # type: ignore[arg-type]
    assert [name for name, _ in raised.value.items] == [field]


def test_the_latest_expire_time_wechat_can_express_is_accepted() -> None:
    validation.check_create_native(**_native(expire_time=validation.LATEST_EXPIRE))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "stamp", [Timestamp(seconds=2**62), Timestamp(seconds=1, nanos=-1), Timestamp(seconds=-(2**40))]
)
def test_a_timestamp_protobuf_cannot_represent_is_an_invalid_argument(stamp: Timestamp) -> None:
    with pytest.raises(validation.Violations) as raised:
        validation.timestamp_field(stamp, "expire_time")
    assert raised.value.items == [("expire_time", "is not a valid timestamp")]


def test_a_refund_reason_with_control_characters_is_refused() -> None:
    with pytest.raises(validation.Violations):
        validation.check_refund("order-0001", "refund-1", 10, 5, "oops\x07")


@pytest.mark.parametrize("field", ["description", "attach"])
def test_a_new_order_refuses_control_characters(field: str) -> None:
    order = new_order.NewOrder(
        id="order-0001", total_fee=1, expire_time=NOW + timedelta(hours=1), **{field: "a\x00b"}
    )
    problems = new_order.violations(order, NOW)
    assert [p.field for p in problems] == [field]


def test_a_v3_timestamp_in_superscript_digits_is_not_unix_seconds() -> None:
    # "¹²³".isdigit() is True and int("¹²³") raises: the gateway answered 500 (issue 15).
    keys = PublicKeySource(V3_PUB_KEY_ID, v3_platform_key().public_key())
    message = SignedMessage(V3_PUB_KEY_ID, "¹²³", "nonce", "c2ln", b"{}")
    with pytest.raises(StaleTimestampError):
        SignatureVerifier(keys).verify(message)


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-00:01"])
def test_a_v3_time_outside_utc_years_1_to_9999_is_a_mapping_error(value: str) -> None:
    with pytest.raises(mapping.MappingError):
        parse_time(value)
