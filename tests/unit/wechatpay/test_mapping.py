"""WeChat's strings become our types: Beijing times to aware UTC, fen to integers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from payment.wechatpay.mapping import (
    MappingError,
    beijing_compact,
    fen,
    parse_beijing_compact,
    parse_refund_time,
    refund_query_result,
    trade_status,
)
from payment.wechatpay.types import RefundStatus, TradeState


def test_beijing_compact_time_is_eight_hours_ahead_of_utc() -> None:
    assert parse_beijing_compact("20141030133525") == datetime(2014, 10, 30, 5, 35, 25, tzinfo=UTC)


def test_beijing_midnight_is_the_previous_day_in_utc() -> None:
    assert parse_beijing_compact("20260101000000") == datetime(2025, 12, 31, 16, tzinfo=UTC)


def test_aware_times_format_as_beijing_time_whatever_their_zone() -> None:
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert beijing_compact(moment) == "20260329073000"
    assert parse_beijing_compact(beijing_compact(moment)) == moment


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        beijing_compact(datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


def test_refund_times_are_beijing_time_too() -> None:
    assert parse_refund_time("2016-07-25 15:26:26") == datetime(2016, 7, 25, 7, 26, 26, tzinfo=UTC)


@pytest.mark.parametrize(
    "value", ["2014103013352", "20141330133525", "2014-10-30", "abcdefghijklmn"]
)
def test_malformed_compact_times_are_mapping_errors(value: str) -> None:
    with pytest.raises(MappingError):
        parse_beijing_compact(value)


@pytest.mark.parametrize("value", ["2016/07/25 15:26:26", "20160725152626", ""])
def test_malformed_refund_times_are_mapping_errors(value: str) -> None:
    with pytest.raises(MappingError):
        parse_refund_time(value)


@pytest.mark.parametrize(("value", "amount"), [("0", 0), ("1", 1), ("888", 888)])
def test_fen_are_plain_integers(value: str, amount: int) -> None:
    assert fen(value) == amount


@pytest.mark.parametrize("value", ["8.88", "-1", "+1", "01", " 1", "1e3", "", "１"])
def test_anything_else_is_not_an_amount(value: str) -> None:
    with pytest.raises(MappingError):
        fen(value)


def test_an_unpaid_order_query_has_only_its_state() -> None:
    status = trade_status({"out_trade_no": "o-1", "trade_state": "NOTPAY", "attach": "a"})
    assert status.trade_state is TradeState.NOTPAY
    assert (status.total_fee, status.success_time, status.attach) == (None, None, "a")


def test_an_unknown_trade_state_is_a_mapping_error() -> None:
    with pytest.raises(MappingError):
        trade_status({"out_trade_no": "o-1", "trade_state": "MAYBE"})


def test_refund_query_lists_numbered_refunds() -> None:
    result = refund_query_result(
        {
            "out_trade_no": "o-1",
            "transaction_id": "t",
            "total_fee": "100",
            "refund_count": "2",
            "out_refund_no_0": "r-0",
            "refund_id_0": "i-0",
            "refund_fee_0": "30",
            "refund_status_0": "SUCCESS",
            "refund_success_time_0": "2026-11-27 08:00:00",
            "out_refund_no_1": "r-1",
            "refund_id_1": "i-1",
            "refund_fee_1": "20",
            "refund_status_1": "REFUNDCLOSE",
        }
    )
    assert [r.status for r in result.refunds] == [RefundStatus.SUCCESS, RefundStatus.REFUNDCLOSE]
    assert result.refunds[0].success_time == datetime(2026, 11, 27, 0, tzinfo=UTC)
    assert result.refunded_fee == 30
