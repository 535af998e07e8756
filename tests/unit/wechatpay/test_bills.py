"""Reading and checking trade bills (bills reference §4, §6): the verified test vector, the
current and legacy layouts by header name, refund lines, and a tampered bill refused whole."""

from __future__ import annotations

import gzip
import random
from datetime import date, datetime

import pytest

from payment.wechatpay.bills import BillType, check_sha1, gunzip, parse_bill
from payment.wechatpay.constants import BEIJING
from payment.wechatpay.errors import BillDigestError, BillFormatError, BillTotalsError
from tests.unit.wechatpay.bill_fixtures import (
    ALL_HEADER,
    LEGACY_LINES,
    REAL_V3_LINES,
    REAL_V3_SHA1,
    REFUND_LINE_2024,
    SUMMARY_HEADER,
    bill_bytes,
)

DAY = date(2021, 1, 28)


def test_the_real_bill_matches_its_hash_value_and_parses() -> None:
    raw = bill_bytes(REAL_V3_LINES)
    assert check_sha1(raw, REAL_V3_SHA1.upper()) == REAL_V3_SHA1
    bill = parse_bill(raw, DAY, BillType.ALL)
    assert bill.sha1 == REAL_V3_SHA1
    assert [line.out_trade_no for line in bill.lines] == [
        "S20210128170702357723",
        "S20210128153505214586",
        "S20210128165824499930",
    ]
    first = bill.lines[0]
    assert first.trade_time == datetime(2021, 1, 28, 17, 7, 11, tzinfo=BEIJING)
    assert (first.transaction_id, first.line_type, first.trade_type) == (
        "4200000925202101284997714292",
        "SUCCESS",
        "NATIVE",
    )
    assert (first.settlement_total_fen, first.order_total_fen, first.fee_fen) == (1, 1, 0)
    assert (first.refund_id, first.out_refund_no, first.refund_status) == ("0", "0", "")
    assert (first.body, first.attach, first.rate) == ("for testing", "cipher code", "1.00%")
    assert (bill.totals.lines, bill.totals.settlement_total_fen) == (3, 3)


def test_lf_and_no_bom_read_the_same_but_hash_differently() -> None:
    crlf = parse_bill(bill_bytes(REAL_V3_LINES), DAY, BillType.ALL)
    lf = parse_bill(bill_bytes(REAL_V3_LINES, bom=False, newline="\n"), DAY, BillType.ALL)
    assert lf.lines == crlf.lines
    assert lf.sha1 == "b18b51eb64422040e5ad738d47b358a40b1a7997"  # the reference's table
    with pytest.raises(BillDigestError):
        check_sha1(bill_bytes(REAL_V3_LINES, bom=False, newline="\n"), REAL_V3_SHA1)


def test_a_refund_line_carries_the_original_numbers_and_a_negative_fee() -> None:
    summary = "`1,`0.00,`50.00,`0.00,`-0.27000,`0.00,`50.00"
    raw = bill_bytes([ALL_HEADER, REFUND_LINE_2024, SUMMARY_HEADER, summary])
    [line] = parse_bill(raw, date(2024, 7, 9), BillType.ALL).lines
    assert (line.line_type, line.out_trade_no, line.out_refund_no) == (
        "REFUND",
        "5617363390111199232",
        "5622435300878286848",
    )
    assert (line.settlement_total_fen, line.order_total_fen) == (0, 0)
    assert (line.refund_fen, line.refund_requested_fen, line.fee_fen) == (5000, 5000, -27)
    assert (line.refund_type, line.refund_status) == ("ORIGINAL", "SUCCESS")
    assert line.attach == '{"statement_id":"5617363390111199232"}'
    assert line.body == "2024-06-28 18:30 客户付款"


def test_the_legacy_24_column_layout_reads_by_its_own_names() -> None:
    bill = parse_bill(bill_bytes(LEGACY_LINES), date(2017, 3, 1), BillType.ALL)
    paid, refund = bill.lines
    assert (paid.settlement_total_fen, paid.order_total_fen) == (29, 29)  # 0.29 × 100 is 28.99…
    assert paid.sub_mch_id == "0"
    assert paid.body == "legacy, with a comma"
    assert (refund.refund_fen, refund.refund_requested_fen, refund.refund_status) == (
        10,
        10,
        "PROCESSING",
    )
    assert (bill.totals.settlement_total_fen, bill.totals.refund_fen) == (29, 10)


def test_columns_are_found_by_name_in_any_order() -> None:
    header, *rows = (line.split(",") for line in REAL_V3_LINES[:4])
    order = list(range(len(header)))
    random.Random(20).shuffle(order)

    def shuffled(values: list[str]) -> str:
        return ",".join(values[n] for n in order)

    lines = [shuffled(header), *(shuffled(row) for row in rows), *REAL_V3_LINES[4:]]
    moved = parse_bill(bill_bytes(lines), DAY, BillType.ALL)
    assert moved.lines == parse_bill(bill_bytes(REAL_V3_LINES), DAY, BillType.ALL).lines


@pytest.mark.parametrize(
    ("replace", "by"),
    [
        ("`CNY,`0.01,`0.00,`0,", "`CNY,`0.02,`0.00,`0,"),  # a line's settlement amount
        ("`3,`0.03,", "`2,`0.03,"),  # the count
        ("`0.00000,`0.03,`0.00\r\n", "`0.01000,`0.03,`0.00\r\n"),  # the fee total
        (",`0.01,`0.00,`\r\n总", ",`0.02,`0.00,`\r\n总"),  # a line's order amount
    ],
)
def test_a_summary_that_is_not_the_sum_of_the_lines_refuses_the_bill(replace: str, by: str) -> None:
    raw = bill_bytes(REAL_V3_LINES).decode()
    assert replace in raw
    with pytest.raises(BillTotalsError):
        parse_bill(raw.replace(replace, by, 1).encode(), DAY, BillType.ALL)


@pytest.mark.parametrize(
    "lines",
    [
        [REAL_V3_LINES[0].replace("手续费,", ""), *REAL_V3_LINES[1:]],  # a column fewer
        [REAL_V3_LINES[0].replace("微信订单号", "交易单号"), *REAL_V3_LINES[1:]],  # no key
        [REAL_V3_LINES[0], REAL_V3_LINES[1].replace("`0.01", "`0.1", 1), *REAL_V3_LINES[2:]],
        [REAL_V3_LINES[0], REAL_V3_LINES[1].replace("`0.00000", "`0.00001"), *REAL_V3_LINES[2:]],
        [REAL_V3_LINES[0], REAL_V3_LINES[1].replace("17:07:11", "25:07:11"), *REAL_V3_LINES[2:]],
        [REAL_V3_LINES[0], REAL_V3_LINES[1][1:], *REAL_V3_LINES[2:]],  # no backtick
        REAL_V3_LINES[:4],  # no summary
        [],
    ],
)
def test_an_unreadable_bill_is_a_format_error(lines: list[str]) -> None:
    with pytest.raises(BillFormatError):
        parse_bill(bill_bytes(lines), DAY, BillType.ALL)


def test_gzip_is_read_within_bounds() -> None:
    raw = bill_bytes(REAL_V3_LINES)
    zipped = gzip.compress(raw)
    assert gunzip(zipped) == raw
    with pytest.raises(BillFormatError, match="truncated"):
        gunzip(zipped[:-12])
    with pytest.raises(BillFormatError, match="over"):
        gunzip(zipped, max_bytes=len(raw) - 1)
    with pytest.raises(BillFormatError, match="gzip"):
        gunzip(raw)
